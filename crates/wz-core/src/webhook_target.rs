//! Where the platform may post a relying party's webhook.
//!
//! A webhook URL is chosen by whoever registers the RP, and the platform
//! then makes requests to it from inside the operator's network: without
//! care that is a server-side request forgery (SSRF) primitive aimed at
//! loopback services, cloud metadata (169.254.169.254) or private hosts.
//! The URL is parsed by the WHATWG rules (the `url` crate, as browsers and
//! `reqwest` do, so `http://2130706433/` is `127.0.0.1`), must be `https`
//! (plain `http` only where the policy allows it), carries no userinfo, and
//! its host must be public unless the operator lists it. Names are checked
//! again, address by address, every time a delivery resolves them (against
//! DNS rebinding); that part needs I/O and lives with the delivery loop,
//! using [`WebhookPolicy::address_allowed`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// Longest accepted webhook URL.
pub const MAX_WEBHOOK_URL_CHARS: usize = 500;

/// What the operator allows beyond public `https` hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// Plain `http` accepted (demo mode; never on a public network).
    pub allow_http: bool,
    /// Loopback addresses accepted (demo mode), except the platform's own
    /// port in [`WebhookPolicy::own_port`].
    pub allow_loopback: bool,
    /// The port the platform itself listens on: never a webhook target on
    /// a loopback or unspecified address, even where loopback is allowed.
    pub own_port: Option<u16>,
    /// Hosts that may be private (names, IPv4 addresses, `[IPv6]`), any
    /// port; a name listed here may resolve to any address.
    pub allowed_hosts: Vec<String>,
}

/// Why a webhook URL is refused. Messages name the rule, never the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    /// Not an absolute URL, or over [`MAX_WEBHOOK_URL_CHARS`].
    #[error("the webhook URL is not a valid absolute URL of at most 500 characters")]
    Malformed,
    /// A scheme other than https (or http where allowed).
    #[error("the webhook URL must use https")]
    Scheme,
    /// `user:password@` in the URL.
    #[error("the webhook URL must not contain a user name or password")]
    Userinfo,
    /// A fragment (never sent; almost always a mistake).
    #[error("the webhook URL must not contain a fragment")]
    Fragment,
    /// A loopback, private, link-local, metadata or otherwise non-public
    /// address, not on the operator's allow-list.
    #[error(
        "the webhook host is not a public address (loopback, private, link-local and metadata addresses need the operator's allow-list)"
    )]
    NotPublic,
}

impl WebhookUrlError {
    /// The rule broken, for error bodies and CLI messages.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Malformed => "the webhook URL is not a valid absolute URL of at most 500 characters",
            Self::Scheme => "the webhook URL must use https",
            Self::Userinfo => "the webhook URL must not contain a user name or password",
            Self::Fragment => "the webhook URL must not contain a fragment",
            Self::NotPublic => "the webhook host is not a public address (loopback, private, link-local and metadata addresses need the operator's allow-list)",
        }
    }
}

/// A webhook URL that passed [`WebhookPolicy::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    url: Url,
}

impl WebhookTarget {
    /// The normalised URL.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The host name when it is a name (to be resolved and checked at
    /// delivery), `None` for an address literal (already checked).
    pub fn domain(&self) -> Option<&str> {
        self.url.domain()
    }

    /// The port the delivery connects to.
    pub fn port(&self) -> u16 {
        self.url.port_or_known_default().unwrap_or(443)
    }
}

impl WebhookPolicy {
    /// Parses `text` and applies every rule that needs no name resolution.
    pub fn check(&self, text: &str) -> Result<WebhookTarget, WebhookUrlError> {
        if text.chars().count() > MAX_WEBHOOK_URL_CHARS {
            return Err(WebhookUrlError::Malformed);
        }
        let url = Url::parse(text.trim()).map_err(|_| WebhookUrlError::Malformed)?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            _ => return Err(WebhookUrlError::Scheme),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookUrlError::Userinfo);
        }
        if url.fragment().is_some() {
            return Err(WebhookUrlError::Fragment);
        }
        let port = url.port_or_known_default().ok_or(WebhookUrlError::Malformed)?;
        let ip = match url.host() {
            None => return Err(WebhookUrlError::Malformed),
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.');
                if name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost") {
                    // Resolves to loopback by convention (RFC 6761), whatever DNS says.
                    if !self.host_listed(name) && !self.loopback_port_allowed(port) {
                        return Err(WebhookUrlError::NotPublic);
                    }
                }
                return Ok(WebhookTarget { url });
            }
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        };
        let literal = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        if self.host_listed(&literal) || self.address_allowed(None, SocketAddr::new(ip, port)) {
            Ok(WebhookTarget { url })
        } else {
            Err(WebhookUrlError::NotPublic)
        }
    }

    /// Whether a delivery may connect to `address`, which `name` (when the
    /// URL had one) resolved to. Called for every resolved address.
    pub fn address_allowed(&self, name: Option<&str>, address: SocketAddr) -> bool {
        if let Some(name) = name {
            if self.host_listed(name) {
                return true;
            }
        }
        let ip = canonical(address.ip());
        if is_public(ip) {
            return true;
        }
        let listed = match ip {
            IpAddr::V4(v4) => self.host_listed(&v4.to_string()),
            IpAddr::V6(v6) => self.host_listed(&format!("[{v6}]")),
        };
        listed || ((ip.is_loopback() || ip.is_unspecified()) && self.loopback_port_allowed(address.port()))
    }

    fn loopback_port_allowed(&self, port: u16) -> bool {
        self.allow_loopback && self.own_port != Some(port)
    }

    /// Listed hosts: exact, case-insensitive, a trailing dot ignored.
    fn host_listed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.allowed_hosts
            .iter()
            .any(|entry| entry.trim().trim_end_matches('.').eq_ignore_ascii_case(host))
    }
}

/// IPv4-mapped and NAT64 IPv6 addresses stand for their IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return IpAddr::V4(Ipv4Addr::new(a, b, c, d));
            }
            IpAddr::V6(v6)
        }
        v4 => v4,
    }
}

/// Globally routable unicast, by the IANA special-purpose registries
/// (std's `is_global` is not stable).
fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                   // "this network"
        || a == 10                             // private
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || a == 127                            // loopback
        || (a == 169 && b == 254)              // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0)      // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)      // documentation
        || (a == 192 && b == 88 && c == 99)    // 6to4 relay
        || (a == 192 && b == 168)              // private
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100)   // documentation
        || (a == 203 && b == 0 && c == 113)    // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00   // unique local
        || (s[0] & 0xffc0) == 0xfe80   // link-local
        || (s[0] & 0xff00) == 0xff00   // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] < 0x0200)  // IETF protocol assignments (Teredo, ORCHID, …)
        || s[0] == 0x2002                     // 6to4: embeds an IPv4 address
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only
        || s[0] == 0) // IPv4-compatible and other reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> WebhookPolicy {
        WebhookPolicy::default()
    }

    #[test]
    fn the_probe_findings_are_refused() {
        let policy = strict();
        for (url, why) in [
            ("http://127.0.0.1:1@[::1]:18402/x", WebhookUrlError::Scheme),
            ("http://localhost:x@127.0.0.2:18403/", WebhookUrlError::Scheme),
            ("http://127.0.0.1:80@169.254.169.254/latest/meta-data", WebhookUrlError::Scheme),
            ("https://127.0.0.1:1@[::1]:18402/x", WebhookUrlError::Userinfo),
            ("https://user@rp.example/x", WebhookUrlError::Userinfo),
            ("https://169.254.169.254/latest", WebhookUrlError::NotPublic),
            ("https://10.0.0.1/", WebhookUrlError::NotPublic),
            ("https://[::1]/", WebhookUrlError::NotPublic),
            ("https://[::ffff:127.0.0.1]/", WebhookUrlError::NotPublic),
            ("https://[64:ff9b::a9fe:a9fe]/", WebhookUrlError::NotPublic),
            ("https://[fd00::1]/", WebhookUrlError::NotPublic),
            ("https://2130706433/", WebhookUrlError::NotPublic),
            ("https://0x7f.1/", WebhookUrlError::NotPublic),
            ("https://0.0.0.0:9000/", WebhookUrlError::NotPublic),
            ("https://localhost/", WebhookUrlError::NotPublic),
            ("https://a.localhost./", WebhookUrlError::NotPublic),
            ("https://192.168.1.1/", WebhookUrlError::NotPublic),
            ("https://100.64.0.1/", WebhookUrlError::NotPublic),
            ("https://rp.example/x#frag", WebhookUrlError::Fragment),
            ("ftp://rp.example/", WebhookUrlError::Scheme),
            ("javascript:alert(1)", WebhookUrlError::Scheme),
            ("rp.example/hook", WebhookUrlError::Malformed),
            ("", WebhookUrlError::Malformed),
        ] {
            assert_eq!(policy.check(url), Err(why), "{url}");
        }
        let long = format!("https://rp.example/{}", "a".repeat(500));
        assert_eq!(policy.check(&long), Err(WebhookUrlError::Malformed));
    }

    #[test]
    fn public_https_hosts_are_accepted_and_normalised() {
        let policy = strict();
        let target = policy.check("https://Bank.Example:8443/hooks/wz").unwrap();
        assert_eq!(target.as_str(), "https://bank.example:8443/hooks/wz");
        assert_eq!((target.domain(), target.port()), (Some("bank.example"), 8443));
        let literal = policy.check("https://203.0.114.7/h").unwrap();
        assert_eq!((literal.domain(), literal.port()), (None, 443));
        assert!(policy.check("https://[2400:3200::1]/h").is_ok());
    }

    #[test]
    fn demo_allows_http_and_loopback_but_not_its_own_port() {
        let demo = WebhookPolicy {
            allow_http: true,
            allow_loopback: true,
            own_port: Some(8080),
            allowed_hosts: vec![],
        };
        assert!(demo.check("http://127.0.0.1:18402/hook").is_ok());
        assert!(demo.check("http://localhost:18402/hook").is_ok());
        assert!(demo.check("http://[::1]:18402/hook").is_ok());
        assert_eq!(demo.check("http://127.0.0.1:8080/v1/admin"), Err(WebhookUrlError::NotPublic));
        assert_eq!(demo.check("http://localhost:8080/"), Err(WebhookUrlError::NotPublic));
        // Loopback is not the whole private space.
        assert_eq!(demo.check("http://10.1.2.3:80/"), Err(WebhookUrlError::NotPublic));
        assert_eq!(demo.check("http://169.254.169.254/"), Err(WebhookUrlError::NotPublic));
        assert_eq!(demo.check("http://u:p@127.0.0.1:9/"), Err(WebhookUrlError::Userinfo));
    }

    #[test]
    fn the_allow_list_names_private_hosts() {
        let policy = WebhookPolicy {
            allowed_hosts: vec!["hooks.internal".into(), "10.0.0.5".into(), "[fd00::7]".into()],
            ..WebhookPolicy::default()
        };
        assert!(policy.check("https://10.0.0.5:8443/h").is_ok());
        assert_eq!(policy.check("https://10.0.0.6/h"), Err(WebhookUrlError::NotPublic));
        assert!(policy.check("https://[fd00::7]:1234/h").is_ok());
        let resolved = |ip: &str, port| SocketAddr::new(ip.parse().unwrap(), port);
        // A listed name may resolve to a private address; an unlisted one may not.
        assert!(policy.address_allowed(Some("hooks.internal"), resolved("10.9.9.9", 443)));
        assert!(!policy.address_allowed(Some("rebind.example"), resolved("127.0.0.1", 443)));
        assert!(!policy.address_allowed(Some("rebind.example"), resolved("::ffff:169.254.169.254", 443)));
        assert!(policy.address_allowed(Some("rebind.example"), resolved("93.184.216.34", 443)));
    }
}
