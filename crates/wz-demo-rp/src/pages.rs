//! The website's two pages, Chinese first. Every value from the provider
//! is escaped.

use crate::signin::SignedIn;

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

fn page(body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>示例网站 · Example website</title>
<style>
body {{ font-family: system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1d2733; }}
h1 {{ font-size: 1.4rem; }} .en {{ color: #5b6b7c; font-size: .9em; }}
a.button {{ display: inline-block; margin: .3rem .4rem .3rem 0; padding: .6rem 1rem; background: #b3261e; color: #fff; border-radius: .4rem; text-decoration: none; }}
table {{ border-collapse: collapse; margin: 1rem 0; }} td, th {{ text-align: left; padding: .25rem .8rem .25rem 0; border-bottom: 1px solid #dde3ea; vertical-align: top; }}
code {{ word-break: break-all; }} .bad {{ color: #b3261e; }}
</style></head><body>
{body}
<p class="en">这是一个演示用的依赖方网站，用标准的 OpenID Connect 客户端库（Rust <code>openidconnect</code>）接入网证。<br>
A demo relying party: it signs in through WangZheng with a standard OpenID Connect client library (the Rust <code>openidconnect</code> crate).</p>
</body></html>"#
    )
}

/// The home page: sign-in buttons, or who is signed in.
pub fn home(signed_in: Option<&SignedIn>) -> String {
    let Some(who) = signed_in else {
        return page(
            r#"<h1>示例网站 <span class="en">Example website</span></h1>
<p>请用网证登录。<span class="en">Sign in with your network ID credential.</span></p>
<p><a class="button" id="login-l3" href="/login?level=L3">用网证登录（L3 扫码）</a>
<a class="button" id="login-l2" href="/login?level=L2">刷脸登录（L2）</a>
<a class="button" id="login-l4" href="/login?level=L4">最高级别（L4 密码+人脸）</a></p>"#,
        );
    };
    let claims: String = who
        .claims
        .iter()
        .map(|(name, value)| {
            let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            format!(
                "<tr><th>{}</th><td id=\"claim-{}\">{}</td></tr>",
                escape(name),
                escape(name),
                escape(&shown)
            )
        })
        .collect();
    page(&format!(
        r#"<h1 id="signed-in">已登录 <span class="en">Signed in</span></h1>
<table>
<tr><th>sub（本网站专用标识 · pairwise）</th><td><code id="subject">{}</code></td></tr>
<tr><th>acr（认证级别 · level）</th><td id="acr">{}</td></tr>
<tr><th>amr</th><td>{}</td></tr>
<tr><th>auth_time</th><td>{}</td></tr>
{}
</table>
<p><a class="button" href="/logout">退出 <span>Sign out</span></a></p>"#,
        escape(&who.subject),
        escape(&who.acr),
        escape(&who.amr.join(" ")),
        who.auth_time.map(|t| t.to_string()).unwrap_or_default(),
        claims
    ))
}

/// A sign-in that did not complete.
pub fn failed(reason: &str) -> String {
    page(&format!(
        r#"<h1>登录未完成 <span class="en">Sign-in did not complete</span></h1>
<p class="bad" id="reason">{}</p>
<p><a class="button" href="/">返回 <span>Back</span></a></p>"#,
        escape(reason)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_values_are_escaped() {
        assert_eq!(escape("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
        assert!(!failed("<script>").contains("<script>"));
    }
}
