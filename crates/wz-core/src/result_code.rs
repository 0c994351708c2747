//! Result codes: one enum, stable string codes, Chinese and English messages.
//!
//! Codes are part of the public contract: never rename or reuse one. The
//! table is rendered into `docs/result-codes.md` by a test that fails when
//! the two disagree.

/// Every outcome the platform reports, success included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// Success.
    Success,
    /// The request is malformed.
    InvalidRequest,
    /// The request body is too large.
    BodyTooLarge,
    /// Unsupported content type.
    UnsupportedMediaType,
    /// No such resource.
    NotFound,
    /// Method not allowed.
    MethodNotAllowed,
    /// Missing or invalid credentials.
    Unauthorized,
    /// Not permitted.
    Forbidden,
    /// Too many requests.
    RateLimited,
    /// Internal error.
    InternalError,
    /// Service temporarily unavailable.
    ServiceUnavailable,
    /// The ID number must have 18 characters.
    IdNumberWrongLength,
    /// The ID number contains an invalid character.
    IdNumberInvalidCharacter,
    /// The ID number's region code does not exist.
    IdNumberUnknownRegion,
    /// The ID number's birth date is invalid.
    IdNumberInvalidBirthDate,
    /// The ID number's sequence code is invalid.
    IdNumberInvalidSequence,
    /// The ID number's check character is wrong.
    IdNumberCheckDigit,
    /// No such identity in the registry.
    IdentityNotFound,
    /// The name does not match the ID number.
    NameMismatch,
    /// The card validity period does not match.
    ValidityMismatch,
    /// The identity is already registered.
    IdentityExists,
    /// The identity record is incomplete or inconsistent.
    InvalidIdentityRecord,
    /// This status change is not allowed.
    InvalidStatusTransition,
    /// The card data is malformed.
    CardMalformed,
    /// The card signature is invalid (data altered).
    CardSignatureInvalid,
    /// The card was signed by an unknown authority.
    CardAuthorityUnknown,
    /// The card chip failed challenge-response (cloned card?).
    CardChipMismatch,
    /// The card challenge is invalid.
    CardChallengeInvalid,
    /// The card challenge has expired.
    CardChallengeExpired,
    /// The card has been reported lost.
    CardReportedLost,
    /// The card has expired.
    CardExpired,
    /// The card has been cancelled.
    CardCancelled,
    /// The card was replaced by a newer card.
    CardSuperseded,
    /// The card is not in the registry.
    CardNotInRegistry,
    /// The credential has been revoked.
    CredentialRevoked,
    /// The credential has expired.
    CredentialExpired,
    /// The credential is invalid.
    CredentialInvalid,
    /// The face does not match.
    FaceMismatch,
    /// Liveness check failed.
    LivenessFailed,
    /// The audio sent with the frames is not in the accepted format.
    AudioInvalid,
    /// No face detected.
    NoFace,
    /// Wrong ID card password.
    PasswordWrong,
    /// Too many wrong passwords; locked.
    PasswordLocked,
    /// The audit chain is broken.
    AuditChainBroken,
    /// Only available in demo mode.
    DemoModeRequired,
    /// The image is not a JPEG or PNG of a usable size.
    InvalidImage,
    /// The credential was replaced by enrolment on another device.
    CredentialReplaced,
    /// The card password was reset; earlier credentials are void.
    CredentialPasswordReset,
    /// No such credential.
    CredentialNotFound,
    /// The wallet code is malformed.
    QrMalformed,
    /// The wallet code's signature is invalid (altered).
    QrTampered,
    /// The wallet code was made by a device other than the credential's.
    QrWrongDevice,
    /// The wallet code has expired.
    QrExpired,
    /// The wallet code was already used.
    QrReplayed,
    /// The card password must be 8 digits.
    PasswordFormat,
    /// The password is too easy to guess (repeated digits, a run, or the birth date).
    PasswordTooWeak,
    /// The two password entries differ.
    PasswordMismatch,
    /// No card password has been set.
    PasswordNotSet,
    /// The request signature is invalid.
    RequestSignatureInvalid,
    /// The signed request is stale or was already used.
    RequestReplayed,
    /// The liveness challenge is unknown, used or expired.
    LivenessChallengeInvalid,
    /// The trusted terminal is not registered or is disabled.
    TerminalUnknown,
    /// No such enrolment session.
    EnrolmentNotFound,
    /// The enrolment session has expired.
    EnrolmentExpired,
    /// The terminal ended the enrolment without issuing a credential.
    EnrolmentCancelled,
    /// The enrolment session is not in a state that allows this step.
    EnrolmentState,
    /// The registry holds no usable portrait; use a trusted terminal.
    PortraitUnavailable,
    /// The relying party is not permitted this authentication mode.
    ModeNotAllowed,
    /// The credential's level is too low for this mode.
    LevelInsufficient,
    /// The card and the credential belong to different people.
    CardCredentialMismatch,
    /// No such authentication session.
    SessionNotFound,
    /// The session's QR code is stale (it rotates every second).
    SessionFrameStale,
    /// The session's QR code is not genuine.
    SessionFrameInvalid,
    /// The session is not in a state that allows this step.
    SessionState,
    /// The session has expired.
    SessionExpired,
    /// The citizen declined.
    ConsentDeclined,
}

impl ResultCode {
    /// Every code, in table order.
    pub const ALL: [ResultCode; 76] = [
        Self::Success,
        Self::InvalidRequest,
        Self::BodyTooLarge,
        Self::UnsupportedMediaType,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Unauthorized,
        Self::Forbidden,
        Self::RateLimited,
        Self::InternalError,
        Self::ServiceUnavailable,
        Self::IdNumberWrongLength,
        Self::IdNumberInvalidCharacter,
        Self::IdNumberUnknownRegion,
        Self::IdNumberInvalidBirthDate,
        Self::IdNumberInvalidSequence,
        Self::IdNumberCheckDigit,
        Self::IdentityNotFound,
        Self::NameMismatch,
        Self::ValidityMismatch,
        Self::IdentityExists,
        Self::InvalidIdentityRecord,
        Self::InvalidStatusTransition,
        Self::CardMalformed,
        Self::CardSignatureInvalid,
        Self::CardAuthorityUnknown,
        Self::CardChipMismatch,
        Self::CardChallengeInvalid,
        Self::CardChallengeExpired,
        Self::CardReportedLost,
        Self::CardExpired,
        Self::CardCancelled,
        Self::CardSuperseded,
        Self::CardNotInRegistry,
        Self::CredentialRevoked,
        Self::CredentialExpired,
        Self::CredentialInvalid,
        Self::FaceMismatch,
        Self::LivenessFailed,
        Self::AudioInvalid,
        Self::NoFace,
        Self::PasswordWrong,
        Self::PasswordLocked,
        Self::AuditChainBroken,
        Self::DemoModeRequired,
        Self::InvalidImage,
        Self::CredentialReplaced,
        Self::CredentialPasswordReset,
        Self::CredentialNotFound,
        Self::QrMalformed,
        Self::QrTampered,
        Self::QrWrongDevice,
        Self::QrExpired,
        Self::QrReplayed,
        Self::PasswordFormat,
        Self::PasswordTooWeak,
        Self::PasswordMismatch,
        Self::PasswordNotSet,
        Self::RequestSignatureInvalid,
        Self::RequestReplayed,
        Self::LivenessChallengeInvalid,
        Self::TerminalUnknown,
        Self::EnrolmentNotFound,
        Self::EnrolmentExpired,
        Self::EnrolmentCancelled,
        Self::EnrolmentState,
        Self::PortraitUnavailable,
        Self::ModeNotAllowed,
        Self::LevelInsufficient,
        Self::CardCredentialMismatch,
        Self::SessionNotFound,
        Self::SessionFrameStale,
        Self::SessionFrameInvalid,
        Self::SessionState,
        Self::SessionExpired,
        Self::ConsentDeclined,
    ];

    /// Stable machine-readable code.
    pub fn as_str(self) -> &'static str {
        self.entry().0
    }

    /// Message in Chinese.
    pub fn message_zh(self) -> &'static str {
        self.entry().1
    }

    /// Message in English.
    pub fn message_en(self) -> &'static str {
        self.entry().2
    }

    /// Finds the code with this string form.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    fn entry(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Success => ("success", "成功", "Success"),
            Self::InvalidRequest => ("invalid_request", "请求格式错误", "The request is malformed"),
            Self::BodyTooLarge => ("body_too_large", "请求体过大", "The request body is too large"),
            Self::UnsupportedMediaType => ("unsupported_media_type", "不支持的内容类型", "Unsupported content type"),
            Self::NotFound => ("not_found", "资源不存在", "No such resource"),
            Self::MethodNotAllowed => ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
            Self::Unauthorized => ("unauthorized", "未认证或凭据无效", "Missing or invalid credentials"),
            Self::Forbidden => ("forbidden", "无权执行该操作", "Not permitted"),
            Self::RateLimited => ("rate_limited", "请求过于频繁", "Too many requests"),
            Self::InternalError => ("internal_error", "服务内部错误", "Internal error"),
            Self::ServiceUnavailable => ("service_unavailable", "服务暂不可用", "Service temporarily unavailable"),
            Self::IdNumberWrongLength => (
                "id_number_wrong_length",
                "身份号码应为18位",
                "The ID number must have 18 characters",
            ),
            Self::IdNumberInvalidCharacter => (
                "id_number_invalid_character",
                "身份号码含非法字符",
                "The ID number contains an invalid character",
            ),
            Self::IdNumberUnknownRegion => (
                "id_number_unknown_region",
                "身份号码地址码不存在",
                "The ID number's region code does not exist",
            ),
            Self::IdNumberInvalidBirthDate => (
                "id_number_invalid_birth_date",
                "身份号码出生日期无效",
                "The ID number's birth date is invalid",
            ),
            Self::IdNumberInvalidSequence => (
                "id_number_invalid_sequence",
                "身份号码顺序码无效",
                "The ID number's sequence code is invalid",
            ),
            Self::IdNumberCheckDigit => (
                "id_number_check_digit",
                "身份号码校验码错误",
                "The ID number's check character is wrong",
            ),
            Self::IdentityNotFound => ("identity_not_found", "查无此人", "No such identity in the registry"),
            Self::NameMismatch => ("name_mismatch", "姓名与身份号码不一致", "The name does not match the ID number"),
            Self::ValidityMismatch => ("validity_mismatch", "证件有效期不一致", "The card validity period does not match"),
            Self::IdentityExists => ("identity_exists", "该身份已登记", "The identity is already registered"),
            Self::InvalidIdentityRecord => (
                "invalid_identity_record",
                "身份信息不完整或不一致",
                "The identity record is incomplete or inconsistent",
            ),
            Self::InvalidStatusTransition => ("invalid_status_transition", "不允许的状态变更", "This status change is not allowed"),
            Self::CardMalformed => ("card_malformed", "证件数据格式错误", "The card data is malformed"),
            Self::CardSignatureInvalid => (
                "card_signature_invalid",
                "证件签名无效（数据被篡改）",
                "The card signature is invalid (data altered)",
            ),
            Self::CardAuthorityUnknown => (
                "card_authority_unknown",
                "证件签发机构不可信",
                "The card was signed by an unknown authority",
            ),
            Self::CardChipMismatch => (
                "card_chip_mismatch",
                "证件芯片认证失败（疑似复制卡）",
                "The card chip failed challenge-response (cloned card?)",
            ),
            Self::CardChallengeInvalid => ("card_challenge_invalid", "读卡挑战无效", "The card challenge is invalid"),
            Self::CardChallengeExpired => ("card_challenge_expired", "读卡挑战已过期", "The card challenge has expired"),
            Self::CardReportedLost => ("card_reported_lost", "证件已挂失", "The card has been reported lost"),
            Self::CardExpired => ("card_expired", "证件已过期", "The card has expired"),
            Self::CardCancelled => ("card_cancelled", "证件已注销", "The card has been cancelled"),
            Self::CardSuperseded => ("card_superseded", "证件已换领，旧证失效", "The card was replaced by a newer card"),
            Self::CardNotInRegistry => ("card_not_in_registry", "制证库中无此证件", "The card is not in the registry"),
            Self::CredentialRevoked => ("credential_revoked", "网证已吊销", "The credential has been revoked"),
            Self::CredentialExpired => ("credential_expired", "网证已过期", "The credential has expired"),
            Self::CredentialInvalid => ("credential_invalid", "网证无效", "The credential is invalid"),
            Self::FaceMismatch => (
                "face_mismatch",
                "人像比对不一致：请在光线充足处摘下帽子眼镜、正对镜头重试；多次不成功可持身份证到可信终端（服务窗口）核验",
                "The face does not match: try again facing the camera in good light, without hat or glasses; if it keeps failing, a trusted terminal (service window) can check you with your ID card",
            ),
            Self::LivenessFailed => (
                "liveness_failed",
                "活体检测未通过：请按提示动作并读出数字后重试；多次不成功可持身份证到可信终端（服务窗口）办理",
                "Liveness check failed: follow the prompts and read the digits aloud, then try again; if it keeps failing, a trusted terminal (service window) can help with your ID card",
            ),
            Self::AudioInvalid => (
                "audio_invalid",
                "录音格式不正确：须为16 kHz单声道16位PCM WAV，时长0.5至20秒，且每帧画面都有拍摄时间",
                "The audio must be 16 kHz mono 16-bit PCM WAV lasting 0.5 to 20 s, with a capture time for every frame",
            ),
            Self::NoFace => (
                "no_face",
                "未检测到人脸：请让整张脸出现在画面中并保持光线充足",
                "No face detected: keep your whole face in the frame, in good light",
            ),
            Self::PasswordWrong => ("password_wrong", "身份证密码错误", "Wrong ID card password"),
            Self::PasswordLocked => ("password_locked", "密码错误次数过多，已锁定", "Too many wrong passwords; locked"),
            Self::AuditChainBroken => ("audit_chain_broken", "审计链校验失败", "The audit chain is broken"),
            Self::DemoModeRequired => ("demo_mode_required", "仅演示模式可用", "Only available in demo mode"),
            Self::InvalidImage => (
                "invalid_image",
                "图像无法识别或尺寸不符",
                "The image is not a JPEG or PNG of a usable size",
            ),
            Self::CredentialReplaced => (
                "credential_replaced",
                "网证已在另一台设备启用，本设备网证失效",
                "The credential was replaced by enrolment on another device",
            ),
            Self::CredentialPasswordReset => (
                "credential_password_reset",
                "身份证密码已重置，此前签发的网证失效",
                "The card password was reset; earlier credentials are void",
            ),
            Self::CredentialNotFound => ("credential_not_found", "网证不存在", "No such credential"),
            Self::QrMalformed => ("qr_malformed", "二维码格式错误", "The wallet code is malformed"),
            Self::QrTampered => (
                "qr_tampered",
                "二维码签名无效（内容被篡改）",
                "The wallet code's signature is invalid (altered)",
            ),
            Self::QrWrongDevice => (
                "qr_wrong_device",
                "二维码并非由网证绑定的设备生成",
                "The wallet code was made by a device other than the credential's",
            ),
            Self::QrExpired => ("qr_expired", "二维码已过期", "The wallet code has expired"),
            Self::QrReplayed => ("qr_replayed", "二维码已使用", "The wallet code was already used"),
            Self::PasswordFormat => ("password_format", "身份证密码须为8位数字", "The card password must be 8 digits"),
            Self::PasswordTooWeak => (
                "password_too_weak",
                "密码过于简单（重复数字、连续数字或出生日期）",
                "The password is too easy to guess (repeated digits, a run, or the birth date)",
            ),
            Self::PasswordMismatch => ("password_mismatch", "两次输入的密码不一致", "The two password entries differ"),
            Self::PasswordNotSet => ("password_not_set", "尚未设置身份证密码", "No card password has been set"),
            Self::RequestSignatureInvalid => ("request_signature_invalid", "请求签名无效", "The request signature is invalid"),
            Self::RequestReplayed => (
                "request_replayed",
                "请求已过期或重复提交",
                "The signed request is stale or was already used",
            ),
            Self::LivenessChallengeInvalid => (
                "liveness_challenge_invalid",
                "活体检测挑战无效、已使用或已过期",
                "The liveness challenge is unknown, used or expired",
            ),
            Self::TerminalUnknown => (
                "terminal_unknown",
                "可信终端未登记或已停用",
                "The trusted terminal is not registered or is disabled",
            ),
            Self::EnrolmentNotFound => ("enrolment_not_found", "办理会话不存在", "No such enrolment session"),
            Self::EnrolmentExpired => ("enrolment_expired", "办理会话已过期", "The enrolment session has expired"),
            Self::EnrolmentCancelled => (
                "enrolment_cancelled",
                "可信终端已结束本次办理，未签发网证，请在终端重新办理",
                "The terminal ended this enrolment without issuing a credential; start again at the terminal",
            ),
            Self::PortraitUnavailable => (
                "portrait_unavailable",
                "制证库中无可用人像，请到可信终端办理",
                "The registry holds no usable portrait; use a trusted terminal",
            ),
            Self::ModeNotAllowed => (
                "mode_not_allowed",
                "该依赖方未获准使用此认证方式",
                "The relying party is not permitted this authentication mode",
            ),
            Self::LevelInsufficient => (
                "level_insufficient",
                "网证等级不足",
                "The credential's level is too low for this mode",
            ),
            Self::CardCredentialMismatch => (
                "card_credential_mismatch",
                "证件与网证不属于同一人",
                "The card and the credential belong to different people",
            ),
            Self::SessionNotFound => ("session_not_found", "认证会话不存在", "No such authentication session"),
            Self::SessionFrameStale => (
                "session_frame_stale",
                "二维码已刷新，请扫描屏幕上最新的二维码",
                "The session's QR code is stale; scan the code on screen now",
            ),
            Self::SessionFrameInvalid => ("session_frame_invalid", "认证二维码无效", "The session's QR code is not genuine"),
            Self::SessionState => (
                "session_state",
                "认证会话当前状态不允许该操作",
                "The session is not in a state that allows this step",
            ),
            Self::SessionExpired => ("session_expired", "认证会话已过期", "The session has expired"),
            Self::ConsentDeclined => ("consent_declined", "用户拒绝授权", "The citizen declined"),
            Self::EnrolmentState => (
                "enrolment_state",
                "办理会话当前状态不允许该操作",
                "The enrolment session is not in a state that allows this step",
            ),
        }
    }
}

impl From<crate::IdNumberError> for ResultCode {
    fn from(error: crate::IdNumberError) -> Self {
        use crate::IdNumberError::*;
        match error {
            WrongLength(_) => Self::IdNumberWrongLength,
            InvalidCharacter { .. } => Self::IdNumberInvalidCharacter,
            UnknownRegion => Self::IdNumberUnknownRegion,
            InvalidBirthDate => Self::IdNumberInvalidBirthDate,
            InvalidSequence => Self::IdNumberInvalidSequence,
            CheckDigitMismatch => Self::IdNumberCheckDigit,
        }
    }
}

/// The table as Markdown, for `docs/result-codes.md`.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | 中文 | English |\n| --- | --- | --- |\n");
    for code in ResultCode::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.as_str(),
            code.message_zh(),
            code.message_en()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = HashSet::new();
        for code in ResultCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {}", code.as_str());
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert_eq!(ResultCode::parse(code.as_str()), Some(code));
            assert!(!code.message_zh().is_empty() && !code.message_en().is_empty());
        }
    }

    #[test]
    fn docs_table_is_current() {
        let doc = include_str!("../../../docs/result-codes.md");
        assert!(
            doc.contains(&markdown_table()),
            "regenerate docs/result-codes.md from result_code::markdown_table()"
        );
    }
}
