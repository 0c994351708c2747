//! The simulated city: every department's records for a set of citizens,
//! made to agree with each other the way a real city's do. The citizens
//! come from the platform's public demo listing (name and ID number, all
//! synthetic); their families, homes, companies and records are generated
//! here from a fixed seed, so the same citizens always live the same lives.
//!
//! Layout, for citizens in listing order (docs/hall.md, "The demo city"):
//! - each citizen heads a household in their ID number's region with a
//!   generated child; consecutive citizens of opposite sex are married
//!   and share the first one's household, others get a generated spouse;
//! - each has a generated mother (born 25–32 years before them) heading
//!   a household of her own; the first citizen's father has died;
//! - even-numbered citizens (1st, 3rd, …) bought a home this year,
//!   registered to them (and their spouse);
//! - the first citizen's household has a newborn with a birth certificate
//!   not yet registered;
//! - the last citizen of three or more has a criminal record;
//! - citizens 3 and 4 hold a company together (60 % / 40 %) when there
//!   are five or more, so citizen 5 can buy in;
//! - everyone adult has social insurance months, the 6th citizen only 4.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use time::{Date, Duration};
use wz_core::{NationalIdNumber, Sex};

use super::{Birth, Company, Department, Household, Member, PersonRef, Property, Relation, Shareholding};

/// Seed of everything generated around the listed citizens.
const CITY_SEED: u64 = 0x007a_6861_6c6c; // "zhall"

/// A citizen the platform knows (its demo listing): name and ID number.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Citizen {
    /// Registered name.
    pub name: String,
    /// 18-character ID number.
    pub id_number: String,
}

impl std::fmt::Debug for Citizen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Citizen(..)")
    }
}

/// One person the registries know.
#[derive(Debug, Clone)]
pub(super) struct Person {
    pub name: String,
    pub id_number: NationalIdNumber,
    pub deceased: Option<Date>,
}

impl Person {
    pub fn as_ref(&self) -> PersonRef {
        PersonRef {
            id_number: self.id_number.expose().to_owned(),
            name: self.name.clone(),
        }
    }
}

/// An unregistered or registered birth certificate.
#[derive(Debug, Clone)]
pub(super) struct BirthRecord {
    pub birth: Birth,
    pub mother: Option<String>,
    pub father: Option<String>,
    /// The ID number the household registration assigned.
    pub registered_as: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct PropertyRecord {
    pub property: Property,
    pub owners: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct HouseholdRecord {
    pub number: String,
    pub address: String,
    /// ID numbers and relations, head first.
    pub members: Vec<(String, Relation)>,
}

#[derive(Debug, Clone)]
pub(super) struct CompanyRecord {
    pub credit_code: String,
    pub name: String,
    pub shareholders: Vec<(String, u32)>,
}

/// Every department's records.
#[derive(Debug, Default)]
pub(super) struct Records {
    pub people: BTreeMap<String, Person>,
    pub households: Vec<HouseholdRecord>,
    pub properties: Vec<PropertyRecord>,
    /// Current marriages (pairs of ID numbers).
    pub marriages: Vec<(String, String)>,
    pub births: Vec<BirthRecord>,
    pub criminal: Vec<String>,
    pub insured_months: BTreeMap<String, u32>,
    pub companies: Vec<CompanyRecord>,
    /// Changes recorded, by application (the idempotency memory).
    pub recorded: BTreeMap<String, super::Recorded>,
    /// Sequence numbers used per region and birth date, for new ID numbers.
    next_sequence: u16,
}

impl Records {
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.get(id)
    }

    pub fn person_ref(&self, id: &str) -> Option<PersonRef> {
        self.person(id).map(Person::as_ref)
    }

    pub fn household_index_of(&self, id: &str) -> Option<usize> {
        self.households.iter().position(|h| h.members.iter().any(|(m, _)| m == id))
    }

    pub fn household_view(&self, index: usize) -> Option<Household> {
        let record = self.households.get(index)?;
        Some(Household {
            number: record.number.clone(),
            address: record.address.clone(),
            members: record
                .members
                .iter()
                .filter_map(|(id, relation)| {
                    Some(Member {
                        person: self.person_ref(id)?,
                        relation: *relation,
                    })
                })
                .collect(),
        })
    }

    pub fn spouse_of(&self, id: &str) -> Option<&str> {
        self.marriages.iter().find_map(|(a, b)| {
            if a == id {
                Some(b.as_str())
            } else if b == id {
                Some(a.as_str())
            } else {
                None
            }
        })
    }

    pub fn company_view(&self, record: &CompanyRecord) -> Company {
        Company {
            credit_code: record.credit_code.clone(),
            name: record.name.clone(),
            shareholders: record
                .shareholders
                .iter()
                .filter_map(|(id, percent)| {
                    Some(Shareholding {
                        person: self.person_ref(id)?,
                        percent: *percent,
                    })
                })
                .collect(),
        }
    }

    /// A fresh ID number for someone born on `born` in `region`.
    pub fn new_id_number(&mut self, region: &str, born: Date) -> Option<NationalIdNumber> {
        for _ in 0..999 {
            self.next_sequence = self.next_sequence % 998 + 1;
            let candidate = NationalIdNumber::compose(region, born, self.next_sequence).ok()?;
            if !self.people.contains_key(candidate.expose()) {
                return Some(candidate);
            }
        }
        None
    }
}

/// The whole simulated city; cheap to clone (the records are shared), so
/// every department's connector sees the others' changes.
#[derive(Clone)]
pub struct SimulatedCity {
    pub(super) records: Arc<Mutex<Records>>,
    pub(super) today: Date,
}

impl std::fmt::Debug for SimulatedCity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimulatedCity(..)")
    }
}

const ESTATES: &[&str] = &[
    "锦绣花园",
    "滨江华府",
    "翠苑小区",
    "阳光城",
    "世纪新城",
    "御景湾",
    "金色家园",
    "枫林苑",
];
const HOSPITALS: &[&str] = &["市人民医院", "市妇幼保健院", "市中心医院"];
const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"];
const GIVEN_MALE: &[&str] = &["伟", "强", "磊", "军", "浩然", "子轩", "宇航", "建国", "志强", "俊杰"];
const GIVEN_FEMALE: &[&str] = &["芳", "娜", "静", "秀英", "桂兰", "欣怡", "梓涵", "雨桐", "诗琪", "佳怡"];

struct Generator {
    rng: ChaCha8Rng,
}

impl Generator {
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.rng.gen_range(0..list.len())]
    }

    fn given(&mut self, sex: Sex) -> &'static str {
        match sex {
            Sex::Male => self.pick(GIVEN_MALE),
            Sex::Female => self.pick(GIVEN_FEMALE),
        }
    }

    /// A generated person of `sex` born around `born`, in `region`.
    fn person(&mut self, records: &mut Records, region: &str, born: Date, sex: Sex, surname: &str) -> Option<String> {
        let given = self.given(sex);
        for _ in 0..20 {
            let id = records.new_id_number(region, born)?;
            if id.sex() == sex {
                let key = id.expose().to_owned();
                records.people.insert(
                    key.clone(),
                    Person {
                        name: format!("{surname}{given}"),
                        id_number: id,
                        deceased: None,
                    },
                );
                return Some(key);
            }
        }
        None
    }

    fn address(&mut self, region: &str) -> String {
        let prefix = wz_core::lookup_region(region).map(|r| r.address_prefix()).unwrap_or_default();
        wz_core::street_address(&mut self.rng, &prefix)
    }

    fn days_before(&mut self, date: Date, low: i64, high: i64) -> Date {
        date - Duration::days(self.rng.gen_range(low..=high))
    }
}

fn opposite(sex: Sex) -> Sex {
    match sex {
        Sex::Male => Sex::Female,
        Sex::Female => Sex::Male,
    }
}

fn surname_of(name: &str) -> String {
    name.chars().next().map(String::from).unwrap_or_default()
}

impl SimulatedCity {
    /// The city around `citizens` (listing order matters; see the module
    /// docs), as of `today`. Citizens whose ID number does not parse are
    /// left out.
    pub fn for_citizens(citizens: &[Citizen], today: Date) -> Self {
        let mut records = Records::default();
        let mut generator = Generator {
            rng: ChaCha8Rng::seed_from_u64(CITY_SEED),
        };
        let listed: Vec<(String, NationalIdNumber)> = citizens
            .iter()
            .filter_map(|c| Some((c.name.clone(), NationalIdNumber::parse(&c.id_number).ok()?)))
            .collect();
        for (name, id) in &listed {
            records.people.insert(
                id.expose().to_owned(),
                Person {
                    name: name.clone(),
                    id_number: id.clone(),
                    deceased: None,
                },
            );
        }
        let mut household_of: BTreeMap<String, usize> = BTreeMap::new();
        let mut index = 0;
        while index < listed.len() {
            let (name, id) = &listed[index];
            let key = id.expose().to_owned();
            let region = id.region_code().to_owned();
            let partner = listed
                .get(index + 1)
                .filter(|(_, other)| other.sex() != id.sex())
                .map(|(_, other)| other.expose().to_owned());
            let spouse = match &partner {
                Some(other) => Some(other.clone()),
                None => {
                    let born = generator.days_before(id.birth_date(), -900, 900);
                    let surname = generator.pick(SURNAMES).to_owned();
                    generator.person(&mut records, &region, born, opposite(id.sex()), &surname)
                }
            };
            let mut members = vec![(key.clone(), Relation::Head)];
            if let Some(spouse) = &spouse {
                records.marriages.push((key.clone(), spouse.clone()));
                members.push((spouse.clone(), Relation::Spouse));
            }
            // A child born when the head was 24–38, not after today.
            let child_born =
                (id.birth_date() + Duration::days(generator.rng.gen_range(24 * 365..38 * 365))).min(today - Duration::days(400));
            if child_born > id.birth_date() + Duration::days(18 * 365) {
                let sex = if generator.rng.gen_bool(0.5) { Sex::Male } else { Sex::Female };
                let father_surname = surname_of(name);
                if let Some(child) = generator.person(&mut records, &region, child_born, sex, &father_surname) {
                    let (mother, father) = match id.sex() {
                        Sex::Female => (Some(key.clone()), spouse.clone()),
                        Sex::Male => (spouse.clone(), Some(key.clone())),
                    };
                    let name = records.person(&child).map(|p| p.name.clone()).unwrap_or_default();
                    records.births.push(BirthRecord {
                        birth: Birth {
                            certificate: format!("Q{}{:06}", &region[..2], generator.rng.gen_range(0..1_000_000)),
                            child_name: name,
                            sex: sex.label_zh().to_owned(),
                            born: child_born.to_string(),
                            hospital: generator.pick(HOSPITALS).to_owned(),
                        },
                        mother,
                        father,
                        registered_as: Some(child.clone()),
                    });
                    members.push((child, Relation::Child));
                }
            }
            let address = generator.address(&region);
            let number = format!("{}{:06}", &region, records.households.len() + 1);
            records.households.push(HouseholdRecord { number, address, members });
            let household = records.households.len() - 1;
            household_of.insert(key.clone(), household);
            if let Some(other) = partner {
                household_of.insert(other, household);
                index += 2;
            } else {
                index += 1;
            }
        }
        for (position, (name, id)) in listed.iter().enumerate() {
            let key = id.expose().to_owned();
            let region = id.region_code().to_owned();
            // Parents: a mother heading her own household, a father who
            // lives with her (the first citizen's has died).
            let mother_born = generator.days_before(id.birth_date(), 25 * 365, 32 * 365);
            let father_born = generator.days_before(mother_born, 0, 4 * 365);
            let surname = surname_of(name);
            let mother_surname = generator.pick(SURNAMES).to_owned();
            let mother = generator.person(&mut records, &region, mother_born, Sex::Female, &mother_surname);
            let father = generator.person(&mut records, &region, father_born, Sex::Male, &surname);
            if let Some(father) = &father {
                if position == 0 {
                    let died = generator.days_before(today, 200, 2000);
                    if let Some(person) = records.people.get_mut(father) {
                        person.deceased = Some(died);
                    }
                }
            }
            let mut members = Vec::new();
            if let Some(mother) = &mother {
                members.push((mother.clone(), Relation::Head));
            }
            if let (Some(father), true) = (&father, position != 0) {
                members.push((father.clone(), Relation::Spouse));
                if let Some(mother) = &mother {
                    records.marriages.push((mother.clone(), father.clone()));
                }
            }
            if !members.is_empty() {
                let address = generator.address(&region);
                let number = format!("{}{:06}", &region, records.households.len() + 1);
                records.households.push(HouseholdRecord { number, address, members });
            }
            let hospital = generator.pick(HOSPITALS);
            records.births.push(BirthRecord {
                birth: Birth {
                    certificate: format!("Q{}{:06}", &region[..2], generator.rng.gen_range(0..1_000_000)),
                    child_name: name.clone(),
                    sex: id.sex().label_zh().to_owned(),
                    born: id.birth_date().to_string(),
                    hospital: hospital.to_owned(),
                },
                mother,
                father,
                registered_as: Some(key.clone()),
            });
            // A home bought this year by even-numbered citizens (1st, 3rd, …).
            if position % 2 == 0 {
                let mut owners = vec![key.clone()];
                if let Some(spouse) = records.spouse_of(&key) {
                    owners.push(spouse.to_owned());
                }
                let estate = generator.pick(ESTATES);
                let prefix = wz_core::lookup_region(&region).map(|r| r.address_prefix()).unwrap_or_default();
                let building = generator.rng.gen_range(1..20);
                let room = generator.rng.gen_range(2..33) * 100 + generator.rng.gen_range(1..4);
                let province = wz_core::lookup_region(&region)
                    .and_then(|r| r.province.chars().next())
                    .map(String::from)
                    .unwrap_or_default();
                records.properties.push(PropertyRecord {
                    property: Property {
                        certificate: format!(
                            "{province}({})不动产权第{:07}号",
                            today.year(),
                            generator.rng.gen_range(0..10_000_000)
                        ),
                        address: format!("{prefix}{estate}{building}幢{room}室"),
                        area_m2: generator.rng.gen_range(70..160),
                        registered: generator.days_before(today, 20, 150).to_string(),
                    },
                    owners,
                });
            }
            if position > 0 && position + 1 == listed.len() && listed.len() >= 3 {
                records.criminal.push(key.clone());
            }
            let months = if position == 5 { 4 } else { 12 + (position as u32 * 17) % 120 };
            records.insured_months.insert(key.clone(), months);
        }
        // The first household's newborn, born days ago, not yet registered.
        if let Some((name, id)) = listed.first() {
            let key = id.expose().to_owned();
            let spouse = records.spouse_of(&key).map(str::to_owned);
            let (mother, father) = match id.sex() {
                Sex::Female => (Some(key.clone()), spouse),
                Sex::Male => (spouse, Some(key.clone())),
            };
            let sex = if generator.rng.gen_bool(0.5) { Sex::Male } else { Sex::Female };
            let given = generator.given(sex);
            let region = id.region_code();
            records.births.push(BirthRecord {
                birth: Birth {
                    certificate: format!("Q{}{:06}", &region[..2], generator.rng.gen_range(0..1_000_000)),
                    child_name: format!("{}{given}", surname_of(name)),
                    sex: sex.label_zh().to_owned(),
                    born: generator.days_before(today, 5, 25).to_string(),
                    hospital: generator.pick(HOSPITALS).to_owned(),
                },
                mother,
                father,
                registered_as: None,
            });
        }
        // Citizens 3 and 4 hold a company; citizen 5 may buy in.
        if listed.len() >= 5 {
            let a = listed[2].1.expose().to_owned();
            let b = listed[3].1.expose().to_owned();
            let region = listed[2].1.region_code();
            records.companies.push(CompanyRecord {
                credit_code: credit_code(region, &mut generator.rng),
                name: format!(
                    "{}{}科技有限公司",
                    generator.pick(&["瓯江", "鹿城", "雁塔", "曲江"]),
                    generator.pick(&["智联", "云帆", "恒信"])
                ),
                shareholders: vec![(a, 60), (b, 40)],
            });
        }
        Self {
            records: Arc::new(Mutex::new(records)),
            today,
        }
    }

    pub(super) fn records(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The connector of one department over this city's records.
    pub fn connector(&self, department: Department) -> super::simulated::SimulatedRegistry {
        super::simulated::SimulatedRegistry {
            city: self.clone(),
            department,
        }
    }
}

/// A unified social credit code: registration authority 9 (industry and
/// commerce), type 1 (enterprise), the region, an organisation code and a
/// GB 32100-2015 check character.
fn credit_code(region: &str, rng: &mut ChaCha8Rng) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let mut body = format!("91{region}");
    for _ in 0..9 {
        body.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
    }
    let sum: usize = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(c, w)| ALPHABET.iter().position(|a| *a == c).unwrap_or(0) * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    body.push(ALPHABET[check] as char);
    body
}
