//! Department registries behind one connector interface. A service asks
//! a [`Question`] and gets the narrowest [`Answer`] that settles it ("does
//! this person own the home with this certificate number" → yes or no,
//! not the deed); a decided application may ask the registry that keeps
//! the record to [`Change`] it. A city connects a real department by
//! implementing [`Connector`] over that department's own interface
//! (docs/hall.md, "The connector contract"); the demo runs
//! [`SimulatedCity`].

mod city;
mod simulated;

pub use city::{Citizen, SimulatedCity};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// The departments the hall reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    /// 户籍 (public security): households and their members.
    Population,
    /// 不动产登记 (natural resources): property ownership.
    Housing,
    /// 婚姻登记 (civil affairs).
    Marriage,
    /// 出生医学证明 (health commission).
    Births,
    /// 死亡登记 (civil affairs / public security).
    Deaths,
    /// 违法犯罪人员信息 (public security).
    CriminalRecords,
    /// 社会保险 (human resources and social security).
    SocialInsurance,
    /// 市场主体登记 (market regulation): companies and shareholders.
    Enterprises,
}

impl Department {
    /// Every department, in display order.
    pub const ALL: [Department; 8] = [
        Department::Population,
        Department::Housing,
        Department::Marriage,
        Department::Births,
        Department::Deaths,
        Department::CriminalRecords,
        Department::SocialInsurance,
        Department::Enterprises,
    ];

    /// Stable code (storage, keys, certificates).
    pub fn code(self) -> &'static str {
        match self {
            Department::Population => "population",
            Department::Housing => "housing",
            Department::Marriage => "marriage",
            Department::Births => "births",
            Department::Deaths => "deaths",
            Department::CriminalRecords => "criminal_records",
            Department::SocialInsurance => "social_insurance",
            Department::Enterprises => "enterprises",
        }
    }

    /// The department named by `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    /// The department's name as a citizen reads it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Department::Population => "公安局户政管理",
            Department::Housing => "不动产登记中心",
            Department::Marriage => "民政局婚姻登记处",
            Department::Births => "卫生健康委出生医学证明管理",
            Department::Deaths => "民政局死亡登记",
            Department::CriminalRecords => "公安局违法犯罪人员信息库",
            Department::SocialInsurance => "人力资源和社会保障局",
            Department::Enterprises => "市场监督管理局",
        }
    }

    /// The department's name in English.
    pub fn name_en(self) -> &'static str {
        match self {
            Department::Population => "Household registration (police)",
            Department::Housing => "Real estate registration centre",
            Department::Marriage => "Marriage registry",
            Department::Births => "Birth medical certificates",
            Department::Deaths => "Death registry",
            Department::CriminalRecords => "Criminal records (police)",
            Department::SocialInsurance => "Social insurance bureau",
            Department::Enterprises => "Market regulation (company registry)",
        }
    }
}

/// A person as registries name one to each other: the full ID number
/// (the hall is entitled to it; it never leaves the hall's store) and the
/// registered name.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    /// The 18-character ID number.
    pub id_number: String,
    /// The registered name.
    pub name: String,
}

impl std::fmt::Debug for PersonRef {
    // Personal data stays out of debug output (and so out of logs and panics).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonRef(..)")
    }
}

/// How a household member is related to its head (户主).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// 户主.
    Head,
    /// 配偶.
    Spouse,
    /// 子女.
    Child,
    /// 父母.
    Parent,
}

impl Relation {
    /// The relation as the household register prints it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Relation::Head => "户主",
            Relation::Spouse => "配偶",
            Relation::Child => "子女",
            Relation::Parent => "父母",
        }
    }
}

/// One member of a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Who.
    pub person: PersonRef,
    /// Their relation to the head.
    pub relation: Relation,
}

/// A household as the population registry holds it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    /// 户号.
    pub number: String,
    /// The registered address.
    pub address: String,
    /// Members, head first.
    pub members: Vec<Member>,
}

impl std::fmt::Debug for Household {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Household({} members)", self.members.len())
    }
}

/// A property as the housing registry describes it to an owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    /// 不动产权证号.
    pub certificate: String,
    /// The property's address.
    pub address: String,
    /// Floor area in square metres.
    pub area_m2: u32,
    /// Registration date (ISO).
    pub registered: String,
}

/// A birth medical certificate not yet followed by a birth registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Birth {
    /// 出生医学证明编号.
    pub certificate: String,
    /// The child's name as the parents gave it.
    pub child_name: String,
    /// 男 or 女.
    pub sex: String,
    /// Date of birth (ISO).
    pub born: String,
    /// Hospital of birth.
    pub hospital: String,
}

/// A company's registered shareholding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Registered name.
    pub name: String,
    /// Shareholders and their percentage.
    pub shareholders: Vec<Shareholding>,
}

/// One shareholder's stake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shareholding {
    /// Who.
    pub person: PersonRef,
    /// Percent of the registered capital.
    pub percent: u32,
}

/// What a service asks a registry. Each names the one department that
/// answers it ([`Question::department`]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum Question {
    /// The household `person` is registered in.
    HouseholdOf {
        /// ID number.
        person: String,
    },
    /// The properties registered to `person` (to pre-fill a form).
    PropertiesOf {
        /// ID number.
        person: String,
    },
    /// Whether `person` is a registered owner of property `certificate`.
    OwnsProperty {
        /// ID number.
        person: String,
        /// 不动产权证号.
        certificate: String,
    },
    /// `person`'s current spouse.
    SpouseOf {
        /// ID number.
        person: String,
    },
    /// Birth certificates naming `parent` that no household registration
    /// has used yet.
    UnregisteredBirthsOf {
        /// ID number.
        parent: String,
    },
    /// `person`'s parents, as birth records and household registers show.
    ParentsOf {
        /// ID number.
        person: String,
    },
    /// `person`'s registered children, as birth records show.
    ChildrenOf {
        /// ID number.
        person: String,
    },
    /// Whether a death is registered for `person`.
    IsDeceased {
        /// ID number.
        person: String,
    },
    /// Whether any criminal record is held on `person` (yes or no only).
    HasCriminalRecord {
        /// ID number.
        person: String,
    },
    /// Months of social insurance contributions `person` has in the city.
    InsuredMonths {
        /// ID number.
        person: String,
    },
    /// Companies in which `person` holds shares.
    CompaniesOf {
        /// ID number.
        person: String,
    },
    /// The shareholders of company `credit_code`.
    Shareholders {
        /// 统一社会信用代码.
        credit_code: String,
    },
}

impl std::fmt::Debug for Question {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Question({})", self.kind())
    }
}

impl Question {
    /// The department that answers it.
    pub fn department(&self) -> Department {
        match self {
            Question::HouseholdOf { .. } => Department::Population,
            Question::PropertiesOf { .. } | Question::OwnsProperty { .. } => Department::Housing,
            Question::SpouseOf { .. } => Department::Marriage,
            Question::UnregisteredBirthsOf { .. } | Question::ParentsOf { .. } | Question::ChildrenOf { .. } => Department::Births,
            Question::IsDeceased { .. } => Department::Deaths,
            Question::HasCriminalRecord { .. } => Department::CriminalRecords,
            Question::InsuredMonths { .. } => Department::SocialInsurance,
            Question::CompaniesOf { .. } | Question::Shareholders { .. } => Department::Enterprises,
        }
    }

    /// The question's kind, without its subject: what the audit trail
    /// and logs may name.
    pub fn kind(&self) -> &'static str {
        match self {
            Question::HouseholdOf { .. } => "household_of",
            Question::PropertiesOf { .. } => "properties_of",
            Question::OwnsProperty { .. } => "owns_property",
            Question::SpouseOf { .. } => "spouse_of",
            Question::UnregisteredBirthsOf { .. } => "unregistered_births_of",
            Question::ParentsOf { .. } => "parents_of",
            Question::ChildrenOf { .. } => "children_of",
            Question::IsDeceased { .. } => "is_deceased",
            Question::HasCriminalRecord { .. } => "has_criminal_record",
            Question::InsuredMonths { .. } => "insured_months",
            Question::CompaniesOf { .. } => "companies_of",
            Question::Shareholders { .. } => "shareholders",
        }
    }
}

/// A registry's answer: only what the question needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", content = "value", rename_all = "snake_case")]
pub enum Answer {
    /// Yes or no.
    Yes(bool),
    /// A count (months).
    Count(u32),
    /// A household, or none.
    Household(Option<Household>),
    /// Properties.
    Properties(Vec<Property>),
    /// A person, or none.
    Person(Option<PersonRef>),
    /// People.
    People(Vec<PersonRef>),
    /// Births.
    Births(Vec<Birth>),
    /// Companies.
    Companies(Vec<Company>),
}

/// What a decided application asks a registry to record.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// 购房落户: the applicant's household moves to their property; the
    /// members named move with the applicant.
    MoveIntoProperty {
        /// The applicant's ID number.
        applicant: String,
        /// The members moving with them (ID numbers).
        members: Vec<String>,
        /// The address they move to.
        address: String,
    },
    /// 出生登记: the child of birth certificate `certificate` joins the
    /// household of `parent`; the registry assigns the ID number.
    RegisterBirth {
        /// The parent's ID number.
        parent: String,
        /// 出生医学证明编号.
        certificate: String,
    },
    /// 亲人投靠: `relative` moves into the household headed by `head`.
    JoinHousehold {
        /// The receiving household's head.
        head: String,
        /// The relative moving in.
        relative: String,
        /// Their relation to the head.
        relation: Relation,
    },
    /// 股东变更: `percent` of company `credit_code` passes from `from` to `to`.
    TransferShares {
        /// 统一社会信用代码.
        credit_code: String,
        /// Transferring shareholder.
        from: String,
        /// Receiving person.
        to: String,
        /// Percent transferred.
        percent: u32,
    },
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Change({})", self.kind())
    }
}

impl Change {
    /// The department that keeps the record.
    pub fn department(&self) -> Department {
        match self {
            Change::MoveIntoProperty { .. } | Change::RegisterBirth { .. } | Change::JoinHousehold { .. } => Department::Population,
            Change::TransferShares { .. } => Department::Enterprises,
        }
    }

    /// The change's kind, without its subjects.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::MoveIntoProperty { .. } => "move_into_property",
            Change::RegisterBirth { .. } => "register_birth",
            Change::JoinHousehold { .. } => "join_household",
            Change::TransferShares { .. } => "transfer_shares",
        }
    }
}

/// What a registry records: a reference a citizen can quote (a new ID
/// number for a registered birth, a household number, a filing number).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The registry's reference for the change.
    pub reference: String,
    /// Personal data the change created (the newborn's ID number), shown
    /// only to the applicant.
    pub detail: Option<String>,
}

impl std::fmt::Debug for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorded")
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

/// Why a registry did not answer. No variant carries personal data.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The question or change belongs to another department.
    #[error("{department} does not answer `{kind}`")]
    NotThisDepartment {
        /// Department code asked.
        department: &'static str,
        /// The question's or change's kind.
        kind: &'static str,
    },
    /// The registry refused the change (it contradicts the record).
    #[error("the {department} registry refused the change: {reason}")]
    Refused {
        /// Department code.
        department: &'static str,
        /// Why, without personal data.
        reason: String,
    },
    /// The registry could not be reached.
    #[error("the {department} registry is unavailable: {reason}")]
    Unavailable {
        /// Department code.
        department: &'static str,
        /// Why.
        reason: String,
    },
}

/// One department's registry.
#[async_trait]
pub trait Connector: Send + Sync {
    /// The department it reaches.
    fn department(&self) -> Department;

    /// Answers one question about the department's records.
    async fn ask(&self, question: &Question) -> Result<Answer, ConnectorError>;

    /// Records a decided change; a registry that records nothing refuses.
    /// `application` is the idempotency key: a change recorded again for
    /// the same application (a retry after a crash) answers the first
    /// record and changes nothing.
    async fn record(&self, application: &str, change: &Change) -> Result<Recorded, ConnectorError> {
        let _ = application;
        Err(ConnectorError::NotThisDepartment {
            department: self.department().code(),
            kind: change.kind(),
        })
    }
}

/// The hall's connectors, one per department.
#[derive(Clone, Default)]
pub struct Connectors {
    by_department: std::collections::BTreeMap<Department, std::sync::Arc<dyn Connector>>,
}

impl Connectors {
    /// Adds (or replaces) the connector of its department.
    pub fn with(mut self, connector: std::sync::Arc<dyn Connector>) -> Self {
        self.by_department.insert(connector.department(), connector);
        self
    }

    /// Every department of `city` answered by the simulated registries.
    pub fn simulated(city: &SimulatedCity) -> Self {
        Department::ALL.into_iter().fold(Self::default(), |set, department| {
            set.with(std::sync::Arc::new(city.connector(department)))
        })
    }

    /// Asks the department that answers `question`.
    pub async fn ask(&self, question: &Question) -> Result<Answer, ConnectorError> {
        self.connector(question.department())?.ask(question).await
    }

    /// Asks the department that keeps the record to change it.
    pub async fn record(&self, application: &str, change: &Change) -> Result<Recorded, ConnectorError> {
        self.connector(change.department())?.record(application, change).await
    }

    fn connector(&self, department: Department) -> Result<&std::sync::Arc<dyn Connector>, ConnectorError> {
        self.by_department.get(&department).ok_or(ConnectorError::Unavailable {
            department: department.code(),
            reason: "no connector is configured".into(),
        })
    }
}
