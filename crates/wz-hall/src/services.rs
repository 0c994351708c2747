//! The hall's catalogue: each service a small declarative definition —
//! the level it needs, who may apply, the registry checks, what comes out
//! and whether rules alone may approve it. Adding a service is adding an
//! entry here; the rules engine ([`crate::rules`]) reads nothing else.

use serde::{Deserialize, Serialize};

use crate::registries::Department;

/// Whom an application names besides the applicant, and how the hall
/// offers them (always from a registry, never typed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Members {
    /// Nobody else.
    None,
    /// Members of the applicant's own household, chosen from it.
    FromOwnHousehold,
    /// One relative (parent, spouse or child by the registries).
    OneRelative,
    /// Shareholders of a company: each authenticates on their own phone.
    Shareholders,
}

/// One registry check. Each names the department it asks. Evidence stored
/// by the first release named checks in PascalCase; the aliases read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The applicant is registered in a household (户籍).
    #[serde(alias = "ApplicantHasHousehold")]
    ApplicantHasHousehold,
    /// The applicant is a registered owner of the chosen property.
    #[serde(alias = "OwnsChosenProperty")]
    OwnsChosenProperty,
    /// Every member chosen lives in the applicant's household.
    #[serde(alias = "MembersInApplicantsHousehold")]
    MembersInApplicantsHousehold,
    /// No one named is registered as deceased.
    #[serde(alias = "NobodyDeceased")]
    NobodyDeceased,
    /// The applicant is a parent on an unregistered birth certificate.
    #[serde(alias = "ParentOfUnregisteredBirth")]
    ParentOfUnregisteredBirth,
    /// The relative chosen is the applicant's parent, spouse or child.
    #[serde(alias = "RelativeByRecords")]
    RelativeByRecords,
    /// The applicant heads their household (投靠 needs the head's consent).
    #[serde(alias = "ApplicantHeadsHousehold")]
    ApplicantHeadsHousehold,
    /// No criminal record is held on the applicant.
    #[serde(alias = "NoCriminalRecord")]
    NoCriminalRecord,
    /// The applicant has at least 6 months of social insurance in the city.
    #[serde(alias = "InsuredSixMonths")]
    InsuredSixMonths,
    /// The transferor holds at least the shares transferred.
    #[serde(alias = "TransferFitsHolding")]
    TransferFitsHolding,
    /// Every party named (current and new shareholders) authenticated.
    #[serde(alias = "EveryPartyAuthenticated")]
    EveryPartyAuthenticated,
}

impl Check {
    /// The department the check asks (the hall itself for the parties).
    pub fn department(self) -> Option<Department> {
        Some(match self {
            Check::ApplicantHasHousehold | Check::MembersInApplicantsHousehold | Check::ApplicantHeadsHousehold => Department::Population,
            Check::OwnsChosenProperty => Department::Housing,
            Check::NobodyDeceased => Department::Deaths,
            Check::ParentOfUnregisteredBirth | Check::RelativeByRecords => Department::Births,
            Check::NoCriminalRecord => Department::CriminalRecords,
            Check::InsuredSixMonths => Department::SocialInsurance,
            Check::TransferFitsHolding => Department::Enterprises,
            Check::EveryPartyAuthenticated => return None,
        })
    }

    /// What the check establishes, as the citizen and officer read it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Check::ApplicantHasHousehold => "申请人有本市户籍登记",
            Check::OwnsChosenProperty => "申请人是所选房屋的登记产权人",
            Check::MembersInApplicantsHousehold => "随迁人员与申请人同户",
            Check::NobodyDeceased => "所涉人员均无死亡登记",
            Check::ParentOfUnregisteredBirth => "申请人是出生医学证明上的父亲或母亲，且新生儿尚未登记",
            Check::RelativeByRecords => "所选亲属与申请人的关系有登记记录可查",
            Check::ApplicantHeadsHousehold => "申请人是接收户的户主",
            Check::NoCriminalRecord => "未发现违法犯罪记录",
            Check::InsuredSixMonths => "本市社会保险缴费满 6 个月",
            Check::TransferFitsHolding => "转让方持有的股权不少于转让份额",
            Check::EveryPartyAuthenticated => "全体股东（现有及新增）均已本人认证",
        }
    }

    /// The same in English.
    pub fn label_en(self) -> &'static str {
        match self {
            Check::ApplicantHasHousehold => "The applicant is registered in a household here",
            Check::OwnsChosenProperty => "The applicant is a registered owner of the chosen home",
            Check::MembersInApplicantsHousehold => "Everyone moving lives in the applicant's household",
            Check::NobodyDeceased => "No one named is registered as deceased",
            Check::ParentOfUnregisteredBirth => "The applicant is a parent on the birth certificate and the child is not yet registered",
            Check::RelativeByRecords => "The relative's relation to the applicant is on record",
            Check::ApplicantHeadsHousehold => "The applicant heads the receiving household",
            Check::NoCriminalRecord => "No criminal record is held",
            Check::InsuredSixMonths => "Six months of social insurance in the city",
            Check::TransferFitsHolding => "The transferor holds at least the shares transferred",
            Check::EveryPartyAuthenticated => "Every shareholder, current and new, authenticated in person",
        }
    }
}

/// Who decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Approved by the rules when every check passes; otherwise an
    /// officer reviews (never refused by rules alone).
    Automatic,
    /// An officer always decides, with the checks' evidence in front of them.
    Officer,
}

/// What an approved application produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The registry records the change and the hall issues a confirming
    /// certificate.
    RegistryChangeAndCertificate,
    /// A certificate only.
    Certificate,
}

/// One service of the hall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServiceDefinition {
    /// Stable code (URLs, storage).
    pub code: &'static str,
    /// Name as the hall lists it.
    pub name_zh: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// One line on what it does.
    pub summary_zh: &'static str,
    /// The level of assurance sign-in must reach (`L3` or `L4`).
    pub level: &'static str,
    /// The department that issues the result (and signs its certificate).
    pub issuer: Department,
    /// Whom else the application names.
    pub members: Members,
    /// Checks, in order.
    pub checks: &'static [Check],
    /// Who decides.
    pub decision: Decision,
    /// What comes out.
    pub outcome: Outcome,
    /// The certificate's title.
    pub certificate_title: &'static str,
    /// Days the certificate is valid (0: no end).
    pub valid_days: u32,
}

/// The catalogue.
pub const SERVICES: &[ServiceDefinition] = &[
    ServiceDefinition {
        code: "house_move",
        name_zh: "购房落户",
        name_en: "Move household registration into a bought home",
        summary_zh: "购买本市住房后，将户口迁入所购房屋，家庭成员可随迁。无需提交房产证、户口簿复印件。",
        level: "L3",
        issuer: Department::Population,
        members: Members::FromOwnHousehold,
        checks: &[
            Check::ApplicantHasHousehold,
            Check::OwnsChosenProperty,
            Check::MembersInApplicantsHousehold,
            Check::NobodyDeceased,
        ],
        decision: Decision::Automatic,
        outcome: Outcome::RegistryChangeAndCertificate,
        certificate_title: "户口迁移登记证明",
        valid_days: 0,
    },
    ServiceDefinition {
        code: "birth_registration",
        name_zh: "出生登记",
        name_en: "Birth registration",
        summary_zh: "为新生儿办理出生登记，落入父亲或母亲的户口，同时分配公民身份号码。出生医学证明由卫健部门直接核验。",
        level: "L3",
        issuer: Department::Population,
        members: Members::None,
        checks: &[Check::ApplicantHasHousehold, Check::ParentOfUnregisteredBirth],
        decision: Decision::Automatic,
        outcome: Outcome::RegistryChangeAndCertificate,
        certificate_title: "出生登记证明",
        valid_days: 0,
    },
    ServiceDefinition {
        code: "join_relative",
        name_zh: "亲人投靠",
        name_en: "Bring a relative into your household",
        summary_zh: "户主申请父母、配偶或子女投靠本户。亲属关系由出生、婚姻登记核验，由民警审核。",
        level: "L3",
        issuer: Department::Population,
        members: Members::OneRelative,
        checks: &[Check::ApplicantHeadsHousehold, Check::RelativeByRecords, Check::NobodyDeceased],
        decision: Decision::Officer,
        outcome: Outcome::RegistryChangeAndCertificate,
        certificate_title: "户口迁入登记证明",
        valid_days: 0,
    },
    ServiceDefinition {
        code: "no_criminal_record",
        name_zh: "无违法犯罪记录证明",
        name_en: "No-criminal-record certificate",
        summary_zh: "开具本人无违法犯罪记录证明，用于就业、出国等。由公安机关审核后出具电子证明。",
        level: "L3",
        issuer: Department::CriminalRecords,
        members: Members::None,
        checks: &[Check::ApplicantHasHousehold, Check::NoCriminalRecord],
        decision: Decision::Officer,
        outcome: Outcome::Certificate,
        certificate_title: "无违法犯罪记录证明",
        valid_days: 90,
    },
    ServiceDefinition {
        code: "kinship",
        name_zh: "亲属关系证明",
        name_en: "Kinship certificate",
        summary_zh: "证明本人与父母、配偶或子女的亲属关系，依据户籍、出生和婚姻登记自动出具。",
        level: "L3",
        issuer: Department::Population,
        members: Members::OneRelative,
        checks: &[Check::RelativeByRecords],
        decision: Decision::Automatic,
        outcome: Outcome::Certificate,
        certificate_title: "亲属关系证明",
        valid_days: 180,
    },
    ServiceDefinition {
        code: "insurance_record",
        name_zh: "社保参保证明",
        name_en: "Social insurance record",
        summary_zh: "开具本市社会保险参保缴费证明。",
        level: "L3",
        issuer: Department::SocialInsurance,
        members: Members::None,
        checks: &[Check::InsuredSixMonths],
        decision: Decision::Automatic,
        outcome: Outcome::Certificate,
        certificate_title: "社会保险参保证明",
        valid_days: 90,
    },
    ServiceDefinition {
        code: "shareholder_change",
        name_zh: "股东变更",
        name_en: "Change of shareholders",
        summary_zh: "有限公司股权转让的变更登记。现有股东和新股东各自在本人手机上完成网证认证，全部完成后自动办结。",
        level: "L3",
        issuer: Department::Enterprises,
        members: Members::Shareholders,
        checks: &[Check::TransferFitsHolding, Check::EveryPartyAuthenticated],
        decision: Decision::Automatic,
        outcome: Outcome::RegistryChangeAndCertificate,
        certificate_title: "股东变更登记通知书",
        valid_days: 0,
    },
];

/// The service with `code`.
pub fn service(code: &str) -> Option<&'static ServiceDefinition> {
    SERVICES.iter().find(|s| s.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_read_back_under_both_names() {
        let check: Check = serde_json::from_str(r#""owns_chosen_property""#).unwrap();
        assert_eq!(check, Check::OwnsChosenProperty);
        assert_eq!(serde_json::to_string(&check).unwrap(), r#""owns_chosen_property""#);
        // As the first release stored it.
        let stored: Check = serde_json::from_str(r#""EveryPartyAuthenticated""#).unwrap();
        assert_eq!(stored, Check::EveryPartyAuthenticated);
        assert!(serde_json::from_str::<Check>(r#""no_such_check""#).is_err());
    }

    #[test]
    fn every_service_is_well_formed() {
        let mut codes: Vec<&str> = SERVICES.iter().map(|s| s.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), SERVICES.len(), "codes are unique");
        for definition in SERVICES {
            assert!(matches!(definition.level, "L3" | "L4"), "{}: level", definition.code);
            assert!(!definition.checks.is_empty(), "{}: at least one check", definition.code);
            // A service that names members checks them against a registry.
            let names_members = definition.members != Members::None;
            let checks_members = definition.checks.iter().any(|c| {
                matches!(
                    c,
                    Check::MembersInApplicantsHousehold | Check::RelativeByRecords | Check::EveryPartyAuthenticated
                )
            });
            assert_eq!(names_members, checks_members, "{}: members are checked", definition.code);
            assert_eq!(service(definition.code), Some(definition));
        }
        assert_eq!(service("nope"), None);
    }
}
