//! The hall's pages: phone-first, Chinese first with English beneath.
//! Every value from a registry, a form or the provider is escaped.

use crate::certificate::CertificateBody;
use crate::hall::{Application, Verification};
use crate::registries::Department;
use crate::rules::{Applicant, Prefill};
use crate::services::{Members, ServiceDefinition, SERVICES};
use crate::store::{ApplicationState, CertificateRow};

/// `text` as an SVG QR code at least `px` pixels wide.
pub fn qr_svg(text: &str, px: u32) -> String {
    qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::L)
        .map(|code| code.render::<qrcode::render::svg::Color>().min_dimensions(px, px).build())
        .unwrap_or_default()
}

/// Escapes text for HTML text and quoted attributes.
pub fn esc(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

const STYLE: &str = r#"
body { font-family: system-ui, "PingFang SC", "Noto Sans CJK SC", sans-serif; max-width: 40rem; margin: 0 auto; padding: 0 1rem 2rem; color: #1d2733; }
header { background: #b3261e; color: #fff; margin: 0 -1rem 1rem; padding: .8rem 1rem; }
header a { color: #fff; text-decoration: none; } header .who { float: right; font-size: .85rem; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.1rem; } .en { color: #5b6b7c; font-size: .85em; }
.card { border: 1px solid #dde3ea; border-radius: .5rem; padding: .8rem; margin: .6rem 0; }
a.button, button { display: inline-block; margin: .3rem .4rem .3rem 0; padding: .6rem 1rem; background: #b3261e; color: #fff; border: 0; border-radius: .4rem; text-decoration: none; font-size: 1rem; }
button.secondary, a.secondary { background: #5b6b7c; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .3rem .5rem .3rem 0; border-bottom: 1px solid #eef1f4; vertical-align: top; }
.ok { color: #1b7f3b; } .bad { color: #b3261e; } .state { font-weight: bold; }
label { display: block; margin: .4rem 0; } textarea, input[type=text], input[type=number] { width: 100%; box-sizing: border-box; padding: .4rem; font-size: 1rem; }
.qr svg { width: 22rem; height: 22rem; max-width: 100%; } code { word-break: break-all; font-size: .8rem; }
#parties td:first-child { white-space: nowrap; } .invitation code { display: block; }
@media print { header, .noprint { display: none; } }
"#;

/// A whole page.
pub fn page(title: &str, who: Option<&str>, body: &str) -> String {
    let who = who
        .map(|name| format!(r#"<span class="who" id="who">{} · <a href="/logout">退出</a></span>"#, esc(name)))
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · 网上办事大厅</title><style>{STYLE}</style></head><body>
<header>{who}<a href="/"><b>网上办事大厅</b> <span>Online service hall</span></a></header>
{body}
</body></html>"#,
        title = esc(title)
    )
}

/// The home page: the catalogue, and the citizen's applications link.
pub fn home(who: Option<&Applicant>) -> String {
    let services: String = SERVICES
        .iter()
        .map(|s| {
            format!(
                r#"<div class="card"><a class="service" id="service-{code}" href="/services/{code}"><b>{zh}</b></a> <span class="en">{en}</span><br>{summary}<br><span class="en">需要 {level} 级网证认证 · decided by {decided}</span></div>"#,
                code = s.code,
                zh = esc(s.name_zh),
                en = esc(s.name_en),
                summary = esc(s.summary_zh),
                level = s.level,
                decided = match s.decision {
                    crate::services::Decision::Automatic => "rules when every check passes",
                    crate::services::Decision::Officer => "an officer",
                }
            )
        })
        .collect();
    let mine = if who.is_some() {
        r#"<p><a class="button secondary" id="my-applications" href="/applications">我的办件 My applications</a></p>"#
    } else {
        r#"<p>选择事项后用网证刷脸登录，无需提交证明材料。<br><span class="en">Choose a service and sign in with WangZheng (face and spoken digits); no paper proof is asked for.</span></p>"#
    };
    page(
        "首页",
        who.map(|w| w.name.as_str()),
        &format!(
            r#"<h1>百万申请网上办 <span class="en">Apply online, from anywhere</span></h1>{mine}{services}
<p><a href="/verify">核验电子证明 Verify a certificate</a> · <a href="/office">工作人员入口 Back office</a></p>"#
        ),
    )
}

fn option_list(name: &str, items: &[(String, String)], multiple: bool) -> String {
    if items.is_empty() {
        return r#"<p class="bad" id="nothing-offered">登记信息中没有可选项。<span class="en">The registries hold nothing to choose here.</span></p>"#.into();
    }
    items
        .iter()
        .enumerate()
        .map(|(i, (label, detail))| {
            let kind = if multiple { "checkbox" } else { "radio" };
            let checked = if !multiple && items.len() == 1 { " checked" } else { "" };
            format!(
                r#"<label><input type="{kind}" name="{name}" value="{i}" id="{name}-{i}"{checked}> {} <span class="en">{}</span></label>"#,
                esc(label),
                esc(detail)
            )
        })
        .collect()
}

/// The service's form, pre-filled from the registries.
pub fn form(service: &ServiceDefinition, who: &Applicant, prefill: &Prefill, error: Option<&str>) -> String {
    let mut fields = String::new();
    if let Some(household) = &prefill.household {
        let members: String = household
            .members
            .iter()
            .map(|m| {
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&m.person.name),
                    m.relation.label_zh(),
                    esc(&wz_core::mask_id_number(&m.person.id_number))
                )
            })
            .collect();
        fields.push_str(&format!(
            r#"<div class="card"><b>户籍（{}）</b> <span class="en">household register, from the police</span><br>户号 {} · {}<table>{members}</table></div>"#,
            esc(Department::Population.name_zh()),
            esc(&household.number),
            esc(&household.address)
        ));
    }
    if service.checks.contains(&crate::services::Check::OwnsChosenProperty) {
        let homes: Vec<(String, String)> = prefill
            .properties
            .iter()
            .map(|p| {
                (
                    format!("{}（{} ㎡）", p.address, p.area_m2),
                    format!("{} · 登记于 {}", p.certificate, p.registered),
                )
            })
            .collect();
        fields.push_str(&format!(
            r#"<h2>迁入房屋 <span class="en">the home you bought (real estate register)</span></h2>{}"#,
            option_list("property", &homes, false)
        ));
    }
    if service.members == Members::FromOwnHousehold {
        let companions: Vec<(String, String)> = prefill
            .companions(who)
            .iter()
            .map(|p| (p.name.clone(), wz_core::mask_id_number(&p.id_number)))
            .collect();
        fields.push_str(&format!(
            r#"<h2>随迁家庭成员 <span class="en">family members moving with you</span></h2>{}"#,
            option_list("members", &companions, true)
        ));
    }
    if service.members == Members::OneRelative {
        let relatives: Vec<(String, String)> = prefill
            .relatives
            .iter()
            .map(|r| {
                (
                    format!("{}（{}）", r.person.name, r.relation.label_zh()),
                    wz_core::mask_id_number(&r.person.id_number),
                )
            })
            .collect();
        fields.push_str(&format!(
            r#"<h2>亲属 <span class="en">the relative (birth and marriage registers)</span></h2>{}"#,
            option_list("relative", &relatives, false)
        ));
    }
    if service.checks.contains(&crate::services::Check::ParentOfUnregisteredBirth) {
        let births: Vec<(String, String)> = prefill
            .births
            .iter()
            .map(|b| {
                (
                    format!("{}（{}，{} 出生）", b.child_name, b.sex, b.born),
                    format!("出生医学证明 {} · {}", b.certificate, b.hospital),
                )
            })
            .collect();
        fields.push_str(&format!(
            r#"<h2>新生儿 <span class="en">the newborn (birth medical certificates)</span></h2>{}"#,
            option_list("birth", &births, false)
        ));
    }
    if service.members == Members::Shareholders {
        let companies: Vec<(String, String)> = prefill
            .companies
            .iter()
            .map(|c| {
                let holders: Vec<String> = c.shareholders.iter().map(|s| format!("{} {}%", s.person.name, s.percent)).collect();
                (c.name.clone(), format!("{} · {}", c.credit_code, holders.join("，")))
            })
            .collect();
        let transferors: Vec<(String, String)> = prefill
            .companies
            .first()
            .map(|c| {
                c.shareholders
                    .iter()
                    .map(|s| (s.person.name.clone(), format!("{}%", s.percent)))
                    .collect()
            })
            .unwrap_or_default();
        fields.push_str(&format!(
            r#"<h2>公司 <span class="en">company (company register)</span></h2>{}
<h2>转让方 <span class="en">transferring shareholder</span></h2>{}
<label>转让比例（%）<span class="en">percent transferred</span><input type="number" name="percent" id="percent" min="1" max="100"></label>
<label>新股东姓名 <span class="en">the new shareholder's name — they confirm on their own phone</span><input type="text" name="transferee_name" id="transferee_name" maxlength="20"></label>"#,
            option_list("company", &companies, false),
            option_list("transferor", &transferors, false)
        ));
    }
    if matches!(service.code, "no_criminal_record" | "kinship" | "insurance_record") {
        fields.push_str(
            r#"<label>用途（选填）<span class="en">purpose, printed on the certificate (optional)</span><input type="text" name="purpose" id="purpose" maxlength="60"></label>"#,
        );
    }
    let checks: String = service
        .checks
        .iter()
        .map(|c| format!("<li>{} <span class=\"en\">{}</span></li>", esc(c.label_zh()), esc(c.label_en())))
        .collect();
    let error = error
        .map(|e| format!(r#"<p class="bad" id="form-error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    page(
        service.name_zh,
        Some(&who.name),
        &format!(
            r#"<h1>{zh} <span class="en">{en}</span></h1><p>{summary}</p>{error}
<form method="post" action="/services/{code}">{fields}
<div class="card"><b>系统将自动核验</b> <span class="en">checked with the registries, nothing to upload</span><ul>{checks}</ul></div>
<button type="submit" id="submit">提交申请 Submit</button></form>"#,
            zh = esc(service.name_zh),
            en = esc(service.name_en),
            summary = esc(service.summary_zh),
            code = service.code,
        ),
    )
}

fn state_line(state: ApplicationState) -> String {
    let class = match state {
        ApplicationState::Approved => "ok",
        ApplicationState::Rejected => "bad",
        _ => "",
    };
    format!(
        r#"<span class="state {class}" id="state" data-state="{}">{}</span>"#,
        state.as_str(),
        state.label_zh()
    )
}

/// An application's status page for its applicant (or an officer, with
/// `office` set), refreshing itself until decided.
pub fn application(app: &Application, who: &str, certificates: &[CertificateRow], invite: Option<&str>, office: bool) -> String {
    let evidence: String = app
        .evidence
        .iter()
        .map(|e| {
            let department = Department::from_code(&e.department).map(|d| d.name_zh()).unwrap_or("办事大厅");
            format!(
                r#"<tr><td class="{}">{}</td><td>{}</td><td>{}</td></tr>"#,
                if e.passed { "ok" } else { "bad" },
                if e.passed { "✓" } else { "✗" },
                esc(department),
                esc(&e.finding)
            )
        })
        .collect();
    let parties: String = app
        .particulars
        .parties
        .iter()
        .map(|p| {
            let name = p
                .person
                .as_ref()
                .map(|x| x.name.clone())
                .or_else(|| p.expected_name.clone())
                .unwrap_or_default();
            // The applicant passes each invitation on; the party opens it in
            // their own wallet (scan the code, or paste the text).
            let invitation = match (&p.invitation, p.authenticated_at, office) {
                (Some(invitation), None, false) => format!(
                    r#"<div class="invitation" data-payload="{}">{}<code>{}</code></div>"#,
                    esc(invitation),
                    qr_svg(invitation, 200),
                    esc(invitation)
                ),
                _ => String::new(),
            };
            let state = if p.authenticated_at.is_some() {
                "已认证 authenticated"
            } else {
                "待认证 waiting"
            };
            format!(
                r#"<tr data-role="{role}"><td>{}</td><td>{role}</td><td class="party-state" data-done="{}">{state}{invitation}</td></tr>"#,
                esc(&name),
                p.authenticated_at.is_some(),
                role = esc(&p.role),
            )
        })
        .collect();
    let parties = if parties.is_empty() {
        String::new()
    } else {
        let link = invite
            .map(|url| {
                format!(
                    r#"<p>请把上面的邀请码分别发给各位股东，各自用本人手机上的网证扫码认证；也可以用此链接登录本大厅确认：<br><span class="en">Pass each invitation above to its shareholder, who scans it with the wallet on their own phone; or they sign in to the hall with this link:</span><br><code id="invite">{}</code></p>"#,
                    esc(url)
                )
            })
            .unwrap_or_default();
        format!(r#"<h2>当事人 <span class="en">parties</span></h2><table id="parties">{parties}</table>{link}"#)
    };
    let reason = app
        .row
        .reason
        .as_deref()
        .map(|r| {
            format!(
                r#"<p>审核意见 <span class="en">officer's reason</span>：<span id="reason">{}</span></p>"#,
                esc(r)
            )
        })
        .unwrap_or_default();
    // The citizen opens their certificate; an officer may revoke it.
    let certificates: String = certificates
        .iter()
        .map(|c| match (office, c.revoked_at) {
            (false, _) => format!(
                r#"<p><a class="button" id="certificate" href="/certificates/{0}">查看电子证明 View the certificate</a></p>"#,
                esc(&c.id)
            ),
            (true, Some(_)) => format!(
                r#"<p class="bad" id="certificate-revoked">证明 {} 已撤销：{}</p>"#,
                esc(&c.id),
                esc(c.revoke_reason.as_deref().unwrap_or(""))
            ),
            (true, None) => format!(
                r#"<form method="post" action="/office/certificates/{0}/revoke" class="card noprint">证明 <code>{0}</code>
<label>撤销原因 <span class="en">reason for revoking, shown on the verify page</span><input type="text" name="reason" id="revoke-reason" maxlength="200"></label>
<button type="submit" id="revoke" class="secondary">撤销证明 Revoke</button></form>"#,
                esc(&c.id)
            ),
        })
        .collect();
    let refresh = if app.row.state.is_final() {
        ""
    } else {
        r#"<meta http-equiv="refresh" content="2">"#
    };
    let decided = app
        .row
        .decided_at
        .map(|at| {
            format!(
                "<p class=\"en\">受理到办结 application to decision: <span id=\"elapsed-ms\">{}</span> ms</p>",
                at - app.row.submitted_at
            )
        })
        .unwrap_or_default();
    let actions = if office && !app.row.state.is_final() && app.row.state != ApplicationState::AwaitingParties {
        format!(
            r#"<form method="post" action="/office/applications/{id}/decision" class="card noprint">
<label>审核意见（驳回必填） <span class="en">reason (required to reject, or to approve over a failed check)</span><textarea name="reason" id="decision-reason" rows="2" maxlength="200"></textarea></label>
<button type="submit" name="decision" value="approve" id="approve">批准 Approve</button>
<button type="submit" name="decision" value="reject" id="reject" class="secondary">驳回 Reject</button></form>"#,
            id = esc(&app.row.id)
        )
    } else {
        String::new()
    };
    page(
        app.service.name_zh,
        Some(who),
        &format!(
            r#"{refresh}<h1>{zh} <span class="en">{en}</span></h1>
<p>办件号 <code id="application-id">{id}</code><br>状态 <span class="en">status</span>：{state}</p>{decided}{reason}{certificates}
<h2>核验结果 <span class="en">registry checks</span></h2><table id="evidence">{evidence}</table>{parties}{actions}"#,
            zh = esc(app.service.name_zh),
            en = esc(app.service.name_en),
            id = esc(&app.row.id),
            state = state_line(app.row.state),
        ),
    )
}

/// The citizen's applications.
pub fn applications(who: &str, apps: &[Application]) -> String {
    let rows: String = apps
        .iter()
        .map(|a| {
            format!(
                r#"<tr><td><a href="/applications/{id}">{name}</a></td><td>{state}</td></tr>"#,
                id = esc(&a.row.id),
                name = esc(a.service.name_zh),
                state = a.row.state.label_zh()
            )
        })
        .collect();
    page(
        "我的办件",
        Some(who),
        &format!(r#"<h1>我的办件 <span class="en">My applications</span></h1><table>{rows}</table>"#),
    )
}

/// A certificate rendered for reading and printing, with its QR code.
pub fn certificate(body: &CertificateBody, row: &CertificateRow, qr_svg: &str) -> String {
    let statements: String = body.statements.iter().map(|s| format!("<p>{}</p>", esc(s))).collect();
    let purpose = body
        .purpose
        .as_deref()
        .map(|p| format!("<p>用途：{}</p>", esc(p)))
        .unwrap_or_default();
    let validity = body
        .valid_until
        .as_deref()
        .map(|d| format!("，有效期至 {}", esc(d)))
        .unwrap_or_default();
    let revoked = row
        .revoked_at
        .map(|_| r#"<p class="bad" id="revoked">此证明已撤销 This certificate was revoked.</p>"#.to_owned())
        .unwrap_or_default();
    page(
        &body.title,
        None,
        &format!(
            r#"<div class="card" id="certificate-view"><h1 style="text-align:center">{title}</h1>{revoked}
<p>持证人：{name}（{id}）</p>{statements}{purpose}
<p>出具单位：{department}<br>出具日期：{issued}{validity}<br>证明编号：<code>{number}</code></p>
<div class="qr" id="certificate-qr">{qr_svg}</div>
<p class="en">扫描二维码或到 {verify} 核验。签名算法 SM2，密钥 {key}。<br>Scan the QR code, or verify at {verify}. Signed with SM2, key {key}.</p></div>
<p class="noprint"><button onclick="print()">打印 Print</button> <a class="button secondary" download="certificate.txt" href="/certificates/{number}/qr.txt" id="download">下载证明文件 Download</a></p>"#,
            title = esc(&body.title),
            name = esc(&body.holder_name),
            id = esc(&body.holder_id_masked),
            department = esc(&body.department_name),
            issued = esc(&body.issued_on),
            number = esc(&body.id),
            verify = esc(&body.verify_url),
            key = esc(&body.key_id),
        ),
    )
}

/// The public verify page: paste the text or upload a picture of the QR.
pub fn verify(result: Option<Result<&Verification, &str>>) -> String {
    let shown = match result {
        None => String::new(),
        Some(Err(message)) => format!(
            r#"<div class="card bad" id="verify-result" data-good="false">{}</div>"#,
            esc(message)
        ),
        Some(Ok(v)) => {
            let verdict = if v.is_good() {
                r#"<p class="ok state">✓ 证明有效 The certificate is valid.</p>"#.to_owned()
            } else {
                let mut why = Vec::new();
                if !v.signature_valid {
                    why.push("签名不符：证明被篡改或伪造 the signature does not match: altered or forged".to_owned());
                } else if !v.issued_here {
                    why.push("本大厅未出具此证明 not issued by this hall".to_owned());
                }
                if let Some((_, reason)) = &v.revoked {
                    why.push(format!("已撤销 revoked：{}", esc(reason)));
                }
                if v.expired {
                    why.push("已过有效期 expired".to_owned());
                }
                format!(r#"<p class="bad state">✗ 证明无效 Not valid: {}</p>"#, why.join("；"))
            };
            let statements: String = v.body.statements.iter().map(|s| format!("<li>{}</li>", esc(s))).collect();
            format!(
                r#"<div class="card" id="verify-result" data-good="{good}">{verdict}<p><b>{title}</b> · {department}<br>持证人 {name}（{id}）· {issued}</p><ul>{statements}</ul></div>"#,
                good = v.is_good(),
                title = esc(&v.body.title),
                department = esc(&v.body.department_name),
                name = esc(&v.body.holder_name),
                id = esc(&v.body.holder_id_masked),
                issued = esc(&v.body.issued_on),
            )
        }
    };
    page(
        "核验电子证明",
        None,
        &format!(
            r#"<h1>核验电子证明 <span class="en">Verify a certificate</span></h1>{shown}
<form method="post" action="/verify" enctype="multipart/form-data" class="card">
<label>上传二维码图片 <span class="en">upload a picture of its QR code</span><input type="file" name="picture" id="picture" accept="image/*"></label>
<label>或粘贴证明文本 <span class="en">or paste the certificate text</span><textarea name="text" id="text" rows="4"></textarea></label>
<button type="submit" id="verify">核验 Verify</button></form>
<p class="en">离线核验 Offline: <code>wz hall verify FILE --keys keys.json</code> with the keys published at <a href="/keys">/keys</a>.</p>"#
        ),
    )
}

/// The officers' queue.
pub fn queue(officer: &str, apps: &[Application]) -> String {
    let rows: String = apps
        .iter()
        .map(|a| {
            let failed = a.evidence.iter().filter(|e| !e.passed).count();
            format!(
                r#"<tr><td><a class="queued" href="/office/applications/{id}">{name}</a></td><td>{applicant}</td><td>{checks}</td></tr>"#,
                id = esc(&a.row.id),
                name = esc(a.service.name_zh),
                applicant = esc(&wz_core::mask_name(&a.row.applicant_name)),
                checks = if failed == 0 {
                    "全部通过".to_owned()
                } else {
                    format!("{failed} 项未通过")
                }
            )
        })
        .collect();
    page(
        "审核队列",
        Some(officer),
        &format!(r#"<h1>待审核 <span class="en">Review queue</span></h1><table id="queue">{rows}</table>"#),
    )
}

/// A refusal or failure, with a way back.
pub fn message(title: &str, text: &str) -> String {
    page(
        title,
        None,
        &format!(
            r#"<h1>{}</h1><p class="bad" id="message">{}</p><p><a href="/">返回首页 Back</a></p>"#,
            esc(title),
            esc(text)
        ),
    )
}
