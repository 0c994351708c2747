//! The rules engine: what a service's form offers (pre-filled from the
//! registries, so nothing a registry knows is typed), how a submitted
//! form becomes the application's particulars, which checks pass, and
//! what the rules decide. No I/O beyond the connectors it is handed.

use serde::{Deserialize, Serialize};

use crate::registries::{
    Answer, Birth, Change, Company, ConnectorError, Connectors, Department, Household, PersonRef, Property, Question, Relation,
};
use crate::services::{Check, Decision, Members, ServiceDefinition};

/// The signed-in applicant, as the platform's ID token and userinfo say.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// Full ID number (the hall's grant).
    pub id_number: String,
    /// Registered name.
    pub name: String,
}

impl std::fmt::Debug for Applicant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Applicant(..)")
    }
}

impl Applicant {
    /// As registries name people.
    pub fn person(&self) -> PersonRef {
        PersonRef {
            id_number: self.id_number.clone(),
            name: self.name.clone(),
        }
    }
}

/// A relative offered or chosen, with the relation the records show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relative {
    /// Who.
    pub person: PersonRef,
    /// `parent`, `spouse` or `child` of the applicant.
    pub relation: Kinship,
}

/// A relation between the applicant and a relative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kinship {
    /// The applicant's parent.
    Parent,
    /// The applicant's spouse.
    Spouse,
    /// The applicant's child.
    Child,
}

impl Kinship {
    /// As a certificate prints it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Kinship::Parent => "父母",
            Kinship::Spouse => "配偶",
            Kinship::Child => "子女",
        }
    }

    /// The relative's relation to the applicant as head of a household.
    fn as_household_relation(self) -> Relation {
        match self {
            Kinship::Parent => Relation::Parent,
            Kinship::Spouse => Relation::Spouse,
            Kinship::Child => Relation::Child,
        }
    }
}

/// What the form offers, all of it from the registries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefill {
    /// The applicant's household.
    pub household: Option<Household>,
    /// Homes registered to the applicant.
    pub properties: Vec<Property>,
    /// Parents, spouse and children on record.
    pub relatives: Vec<Relative>,
    /// Birth certificates naming the applicant, not yet registered.
    pub births: Vec<Birth>,
    /// Companies the applicant holds shares in.
    pub companies: Vec<Company>,
}

impl Prefill {
    /// Household members other than the applicant (who may move with them).
    pub fn companions(&self, applicant: &Applicant) -> Vec<PersonRef> {
        self.household
            .iter()
            .flat_map(|h| h.members.iter())
            .filter(|m| m.person.id_number != applicant.id_number)
            .map(|m| m.person.clone())
            .collect()
    }
}

/// The citizen's choices: positions in the pre-filled lists and a few
/// values no registry holds (the share percentage).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// Position in [`Prefill::properties`].
    #[serde(default)]
    pub property: Option<usize>,
    /// Positions in [`Prefill::companions`].
    #[serde(default)]
    pub members: Vec<usize>,
    /// Position in [`Prefill::relatives`].
    #[serde(default)]
    pub relative: Option<usize>,
    /// Position in [`Prefill::births`].
    #[serde(default)]
    pub birth: Option<usize>,
    /// Position in [`Prefill::companies`].
    #[serde(default)]
    pub company: Option<usize>,
    /// Position of the transferring shareholder in that company.
    #[serde(default)]
    pub transferor: Option<usize>,
    /// Percent of the registered capital transferred.
    #[serde(default)]
    pub percent: Option<u32>,
    /// The new shareholder's name: they prove who they are by signing in
    /// on their own phone, and must be the person named here.
    #[serde(default)]
    pub transferee_name: Option<String>,
    /// The purpose the certificate is for (free text, printed on it).
    #[serde(default)]
    pub purpose: Option<String>,
}

/// A party who must authenticate for the application to complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// `transferor`, `shareholder` or `transferee`.
    pub role: String,
    /// Who, when known (the transferee is known once they authenticate).
    pub person: Option<PersonRef>,
    /// The name the applicant gave for a party not yet known.
    #[serde(default)]
    pub expected_name: Option<String>,
    /// When they authenticated (Unix ms).
    pub authenticated_at: Option<i64>,
    /// Their session in the platform's multi-party transaction.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Their invitation (`WZI1:…`), for the applicant to pass on.
    #[serde(default)]
    pub invitation: Option<String>,
}

/// A share transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The company.
    pub credit_code: String,
    /// Its name.
    pub company_name: String,
    /// Who transfers.
    pub from: PersonRef,
    /// Percent transferred.
    pub percent: u32,
}

/// What an application is about, resolved from the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Particulars {
    /// The home moved into.
    pub property: Option<Property>,
    /// Household members moving too.
    pub members: Vec<PersonRef>,
    /// The relative named.
    pub relative: Option<Relative>,
    /// The birth registered.
    pub birth: Option<Birth>,
    /// The share transfer.
    pub transfer: Option<Transfer>,
    /// Parties who must authenticate.
    pub parties: Vec<Party>,
    /// The certificate's purpose.
    pub purpose: Option<String>,
    /// The platform's multi-party transaction for the parties.
    #[serde(default)]
    pub transaction_id: Option<String>,
}

/// Why a form could not become an application. No personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A required choice is missing.
    #[error("choose {0}")]
    Missing(&'static str),
    /// A choice is not one the form offered.
    #[error("{0} is not one of the choices offered")]
    NotOffered(&'static str),
    /// A value is out of range.
    #[error("{0}")]
    Invalid(&'static str),
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The check.
    pub check: Check,
    /// The department asked (`hall` for the parties).
    pub department: String,
    /// The questions asked, by kind.
    pub asked: Vec<String>,
    /// Whether it passed.
    pub passed: bool,
    /// What was found, for the officer and the citizen (no more personal
    /// data than the check's subject already shows them).
    pub finding: String,
}

/// What the rules decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed and rules may approve.
    Approve,
    /// An officer decides.
    Review,
    /// Parties still have to authenticate; checked again when they have.
    AwaitParties,
}

async fn ask(connectors: &Connectors, question: Question, asked: &mut Vec<String>) -> Result<Answer, ConnectorError> {
    asked.push(question.kind().to_owned());
    connectors.ask(&question).await
}

/// Asks the registries what the service's form offers the applicant.
pub async fn prefill(definition: &ServiceDefinition, applicant: &Applicant, connectors: &Connectors) -> Result<Prefill, ConnectorError> {
    let person = applicant.id_number.clone();
    let mut asked = Vec::new();
    let mut prefill = Prefill::default();
    if let Answer::Household(household) = ask(connectors, Question::HouseholdOf { person: person.clone() }, &mut asked).await? {
        prefill.household = household;
    }
    if definition.checks.contains(&Check::OwnsChosenProperty) {
        if let Answer::Properties(list) = ask(connectors, Question::PropertiesOf { person: person.clone() }, &mut asked).await? {
            prefill.properties = list;
        }
    }
    if definition.members == Members::OneRelative {
        prefill.relatives = relatives(connectors, &person, &mut asked).await?;
    }
    if definition.checks.contains(&Check::ParentOfUnregisteredBirth) {
        if let Answer::Births(list) = ask(connectors, Question::UnregisteredBirthsOf { parent: person.clone() }, &mut asked).await? {
            prefill.births = list;
        }
    }
    if definition.members == Members::Shareholders {
        if let Answer::Companies(list) = ask(connectors, Question::CompaniesOf { person }, &mut asked).await? {
            prefill.companies = list;
        }
    }
    Ok(prefill)
}

async fn relatives(connectors: &Connectors, person: &str, asked: &mut Vec<String>) -> Result<Vec<Relative>, ConnectorError> {
    let mut out = Vec::new();
    let wanted = [
        (Question::ParentsOf { person: person.into() }, Kinship::Parent),
        (Question::SpouseOf { person: person.into() }, Kinship::Spouse),
        (Question::ChildrenOf { person: person.into() }, Kinship::Child),
    ];
    for (question, relation) in wanted {
        let people = match ask(connectors, question, asked).await? {
            Answer::People(people) => people,
            Answer::Person(person) => person.into_iter().collect(),
            _ => Vec::new(),
        };
        out.extend(people.into_iter().map(|person| Relative { person, relation }));
    }
    Ok(out)
}

fn pick<T: Clone>(list: &[T], choice: Option<usize>, what: &'static str) -> Result<T, FormError> {
    let index = choice.ok_or(FormError::Missing(what))?;
    list.get(index).cloned().ok_or(FormError::NotOffered(what))
}

/// Longest purpose printed on a certificate, in characters.
pub const MAX_PURPOSE_CHARS: usize = 60;

/// Turns the citizen's choices into the application's particulars;
/// `now` (Unix ms) stamps the applicant's own authentication as a party.
pub fn resolve(
    definition: &ServiceDefinition,
    applicant: &Applicant,
    prefill: &Prefill,
    form: &Form,
    now: i64,
) -> Result<Particulars, FormError> {
    let mut particulars = Particulars::default();
    if definition.checks.contains(&Check::OwnsChosenProperty) {
        particulars.property = Some(pick(&prefill.properties, form.property, "the home you bought")?);
    }
    if definition.members == Members::FromOwnHousehold {
        let companions = prefill.companions(applicant);
        let mut chosen = form.members.clone();
        chosen.sort_unstable();
        chosen.dedup();
        if chosen.len() != form.members.len() {
            return Err(FormError::Invalid("each household member may be chosen once"));
        }
        particulars.members = chosen
            .into_iter()
            .map(|i| companions.get(i).cloned().ok_or(FormError::NotOffered("a household member")))
            .collect::<Result<_, _>>()?;
    }
    if definition.members == Members::OneRelative {
        particulars.relative = Some(pick(&prefill.relatives, form.relative, "the relative")?);
    }
    if definition.checks.contains(&Check::ParentOfUnregisteredBirth) {
        particulars.birth = Some(pick(&prefill.births, form.birth, "the birth certificate")?);
    }
    if definition.members == Members::Shareholders {
        let company = pick(&prefill.companies, form.company, "the company")?;
        let from = pick(&company.shareholders, form.transferor, "the transferring shareholder")?;
        let percent = form.percent.ok_or(FormError::Missing("the percentage transferred"))?;
        if percent == 0 || percent > 100 {
            return Err(FormError::Invalid("the percentage transferred must be between 1 and 100"));
        }
        let transferee = form
            .transferee_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .ok_or(FormError::Missing("the new shareholder's name"))?
            .to_owned();
        if transferee.chars().count() > 20 || transferee.chars().any(|c| c.is_control() || c.is_ascii_digit()) {
            return Err(FormError::Invalid(
                "the new shareholder's name must be a name of at most 20 characters",
            ));
        }
        if !company.shareholders.iter().any(|s| s.person.id_number == applicant.id_number) {
            return Err(FormError::Invalid("only a shareholder of the company may apply"));
        }
        // Every current shareholder and the new one authenticate; the
        // applicant counts as authenticated by signing in.
        particulars.parties = company
            .shareholders
            .iter()
            .map(|s| Party {
                role: if s.person == from.person { "transferor" } else { "shareholder" }.into(),
                person: Some(s.person.clone()),
                expected_name: None,
                // The applicant authenticated by signing in.
                authenticated_at: (s.person.id_number == applicant.id_number).then_some(now),
                session_id: None,
                invitation: None,
            })
            .chain(std::iter::once(Party {
                role: "transferee".into(),
                person: None,
                expected_name: Some(transferee),
                authenticated_at: None,
                session_id: None,
                invitation: None,
            }))
            .collect();
        particulars.transfer = Some(Transfer {
            credit_code: company.credit_code.clone(),
            company_name: company.name.clone(),
            from: from.person,
            percent,
        });
    }
    if let Some(purpose) = &form.purpose {
        let purpose = purpose.trim();
        if purpose.chars().count() > MAX_PURPOSE_CHARS || purpose.chars().any(char::is_control) {
            return Err(FormError::Invalid("the purpose must be one line of at most 60 characters"));
        }
        if !purpose.is_empty() {
            particulars.purpose = Some(purpose.to_owned());
        }
    }
    Ok(particulars)
}

fn department_code(check: Check) -> String {
    check.department().map(Department::code).unwrap_or("hall").to_owned()
}

/// Runs every check of the service against the registries.
pub async fn evaluate(
    definition: &ServiceDefinition,
    applicant: &Applicant,
    particulars: &Particulars,
    connectors: &Connectors,
) -> Result<Vec<Evidence>, ConnectorError> {
    let mut evidence = Vec::with_capacity(definition.checks.len());
    for check in definition.checks {
        let mut asked = Vec::new();
        let (passed, finding) = run_check(*check, applicant, particulars, connectors, &mut asked).await?;
        evidence.push(Evidence {
            check: *check,
            department: department_code(*check),
            asked,
            passed,
            finding,
        });
    }
    Ok(evidence)
}

async fn household_of(connectors: &Connectors, person: &str, asked: &mut Vec<String>) -> Result<Option<Household>, ConnectorError> {
    Ok(
        match ask(connectors, Question::HouseholdOf { person: person.into() }, asked).await? {
            Answer::Household(household) => household,
            _ => None,
        },
    )
}

async fn run_check(
    check: Check,
    applicant: &Applicant,
    particulars: &Particulars,
    connectors: &Connectors,
    asked: &mut Vec<String>,
) -> Result<(bool, String), ConnectorError> {
    let me = applicant.id_number.as_str();
    Ok(match check {
        Check::ApplicantHasHousehold => match household_of(connectors, me, asked).await? {
            Some(household) => (true, format!("户号 {}", household.number)),
            None => (false, "户籍登记中没有申请人".into()),
        },
        Check::ApplicantHeadsHousehold => match household_of(connectors, me, asked).await? {
            Some(h)
                if h.members
                    .first()
                    .is_some_and(|m| m.person.id_number == me && m.relation == Relation::Head) =>
            {
                (true, format!("户号 {}，申请人为户主", h.number))
            }
            Some(h) => (false, format!("户号 {}，申请人不是户主", h.number)),
            None => (false, "户籍登记中没有申请人".into()),
        },
        Check::OwnsChosenProperty => {
            let Some(property) = &particulars.property else {
                return Ok((false, "未选择房屋".into()));
            };
            let question = Question::OwnsProperty {
                person: me.into(),
                certificate: property.certificate.clone(),
            };
            match ask(connectors, question, asked).await? {
                Answer::Yes(true) => (true, format!("{}：申请人为登记产权人", property.certificate)),
                _ => (false, format!("{}：申请人不是登记产权人", property.certificate)),
            }
        }
        Check::MembersInApplicantsHousehold => {
            let household = household_of(connectors, me, asked).await?;
            let in_household = |p: &PersonRef| household.iter().flat_map(|h| h.members.iter()).any(|m| &m.person == p);
            let outside = particulars.members.iter().filter(|p| !in_household(p)).count();
            if outside == 0 {
                (true, format!("随迁 {} 人，均与申请人同户", particulars.members.len()))
            } else {
                (false, format!("{outside} 名随迁人员不在申请人户内"))
            }
        }
        Check::NobodyDeceased => {
            let mut named: Vec<&PersonRef> = particulars.members.iter().collect();
            named.extend(particulars.relative.iter().map(|r| &r.person));
            let mut deceased = 0;
            let me_ref = applicant.person();
            for person in std::iter::once(&me_ref).chain(named) {
                let question = Question::IsDeceased {
                    person: person.id_number.clone(),
                };
                if ask(connectors, question, asked).await? == Answer::Yes(true) {
                    deceased += 1;
                }
            }
            if deceased == 0 {
                (true, "所涉人员均无死亡登记".into())
            } else {
                (false, format!("{deceased} 名所涉人员有死亡登记"))
            }
        }
        Check::ParentOfUnregisteredBirth => {
            let Some(birth) = &particulars.birth else {
                return Ok((false, "未选择出生医学证明".into()));
            };
            let question = Question::UnregisteredBirthsOf { parent: me.into() };
            match ask(connectors, question, asked).await? {
                Answer::Births(list) if list.iter().any(|b| b.certificate == birth.certificate) => {
                    (true, format!("出生医学证明 {}：申请人为父母一方，尚未登记", birth.certificate))
                }
                _ => (false, format!("出生医学证明 {}：不是申请人子女的未登记出生", birth.certificate)),
            }
        }
        Check::RelativeByRecords => {
            let Some(relative) = &particulars.relative else {
                return Ok((false, "未选择亲属".into()));
            };
            let on_record = relatives(connectors, me, asked).await?;
            if on_record.contains(relative) {
                (
                    true,
                    format!(
                        "{}：{}，有登记记录",
                        wz_core::mask_name(&relative.person.name),
                        relative.relation.label_zh()
                    ),
                )
            } else {
                (false, "所选亲属关系没有登记记录".into())
            }
        }
        Check::NoCriminalRecord => match ask(connectors, Question::HasCriminalRecord { person: me.into() }, asked).await? {
            Answer::Yes(false) => (true, "未发现违法犯罪记录".into()),
            // The applicant learns only that the officer will review;
            // the record itself is not shown here.
            _ => (false, "查询结果需人工核查".into()),
        },
        Check::InsuredSixMonths => match ask(connectors, Question::InsuredMonths { person: me.into() }, asked).await? {
            Answer::Count(months) if months >= 6 => (true, format!("累计缴费 {months} 个月")),
            Answer::Count(months) => (false, format!("累计缴费 {months} 个月，不足 6 个月")),
            _ => (false, "社保部门未给出缴费月数".into()),
        },
        Check::TransferFitsHolding => {
            let Some(transfer) = &particulars.transfer else {
                return Ok((false, "未填写股权转让".into()));
            };
            let question = Question::Shareholders {
                credit_code: transfer.credit_code.clone(),
            };
            let held = match ask(connectors, question, asked).await? {
                Answer::Companies(list) => list
                    .iter()
                    .flat_map(|c| c.shareholders.iter())
                    .find(|s| s.person == transfer.from)
                    .map(|s| s.percent),
                _ => None,
            };
            match held {
                Some(held) if held >= transfer.percent => (true, format!("转让方持股 {held}%，转让 {}%", transfer.percent)),
                Some(held) => (false, format!("转让方持股 {held}%，少于转让的 {}%", transfer.percent)),
                None => (false, "转让方不是该公司的登记股东".into()),
            }
        }
        Check::EveryPartyAuthenticated => {
            let done = particulars.parties.iter().filter(|p| p.authenticated_at.is_some()).count();
            let total = particulars.parties.len();
            (total > 0 && done == total, format!("{done}/{total} 方已认证"))
        }
    })
}

/// What the rules decide from the evidence.
pub fn verdict(definition: &ServiceDefinition, evidence: &[Evidence]) -> Verdict {
    let failed: Vec<&Evidence> = evidence.iter().filter(|e| !e.passed).collect();
    let waiting_only = !failed.is_empty() && failed.iter().all(|e| e.check == Check::EveryPartyAuthenticated);
    if waiting_only {
        Verdict::AwaitParties
    } else if failed.is_empty() && definition.decision == Decision::Automatic {
        Verdict::Approve
    } else {
        Verdict::Review
    }
}

/// The registry change an approved application makes, if any.
pub fn change(definition: &ServiceDefinition, applicant: &Applicant, particulars: &Particulars) -> Option<Change> {
    let me = applicant.id_number.clone();
    match definition.code {
        "house_move" => Some(Change::MoveIntoProperty {
            applicant: me,
            members: particulars.members.iter().map(|p| p.id_number.clone()).collect(),
            address: particulars.property.as_ref()?.address.clone(),
        }),
        "birth_registration" => Some(Change::RegisterBirth {
            parent: me,
            certificate: particulars.birth.as_ref()?.certificate.clone(),
        }),
        "join_relative" => {
            let relative = particulars.relative.as_ref()?;
            Some(Change::JoinHousehold {
                head: me,
                relative: relative.person.id_number.clone(),
                relation: relative.relation.as_household_relation(),
            })
        }
        "shareholder_change" => {
            let transfer = particulars.transfer.as_ref()?;
            let to = particulars.parties.iter().find(|p| p.role == "transferee")?.person.as_ref()?;
            Some(Change::TransferShares {
                credit_code: transfer.credit_code.clone(),
                from: transfer.from.id_number.clone(),
                to: to.id_number.clone(),
                percent: transfer.percent,
            })
        }
        _ => None,
    }
}
