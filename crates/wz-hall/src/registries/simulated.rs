//! The simulated departments: one [`Connector`] per department over the
//! shared records of a [`SimulatedCity`]. Each answers only its own
//! questions, as a real department's interface would.

use async_trait::async_trait;
use time::Date;

use super::city::{HouseholdRecord, Person, Records, SimulatedCity};
use super::{Answer, Change, Connector, ConnectorError, Department, Question, Recorded, Relation};

/// One department of the simulated city.
#[derive(Debug, Clone)]
pub struct SimulatedRegistry {
    pub(super) city: SimulatedCity,
    pub(super) department: Department,
}

fn refused(department: Department, reason: &str) -> ConnectorError {
    ConnectorError::Refused {
        department: department.code(),
        reason: reason.to_owned(),
    }
}

#[async_trait]
impl Connector for SimulatedRegistry {
    fn department(&self) -> Department {
        self.department
    }

    async fn ask(&self, question: &Question) -> Result<Answer, ConnectorError> {
        if question.department() != self.department {
            return Err(ConnectorError::NotThisDepartment {
                department: self.department.code(),
                kind: question.kind(),
            });
        }
        let records = self.city.records();
        Ok(answer(&records, question))
    }

    async fn record(&self, application: &str, change: &Change) -> Result<Recorded, ConnectorError> {
        if change.department() != self.department {
            return Err(ConnectorError::NotThisDepartment {
                department: self.department.code(),
                kind: change.kind(),
            });
        }
        let mut records = self.city.records();
        if let Some(done) = records.recorded.get(application) {
            return Ok(done.clone());
        }
        let done = apply(&mut records, change, self.city.today)?;
        records.recorded.insert(application.to_owned(), done.clone());
        Ok(done)
    }
}

fn answer(records: &Records, question: &Question) -> Answer {
    match question {
        Question::HouseholdOf { person } => Answer::Household(records.household_index_of(person).and_then(|i| records.household_view(i))),
        Question::PropertiesOf { person } => Answer::Properties(
            records
                .properties
                .iter()
                .filter(|p| p.owners.iter().any(|o| o == person))
                .map(|p| p.property.clone())
                .collect(),
        ),
        Question::OwnsProperty { person, certificate } => Answer::Yes(
            records
                .properties
                .iter()
                .any(|p| &p.property.certificate == certificate && p.owners.iter().any(|o| o == person)),
        ),
        Question::SpouseOf { person } => Answer::Person(records.spouse_of(person).and_then(|s| records.person_ref(s))),
        Question::UnregisteredBirthsOf { parent } => Answer::Births(
            records
                .births
                .iter()
                .filter(|b| b.registered_as.is_none())
                .filter(|b| b.mother.as_deref() == Some(parent) || b.father.as_deref() == Some(parent))
                .map(|b| b.birth.clone())
                .collect(),
        ),
        Question::ParentsOf { person } => Answer::People(
            records
                .births
                .iter()
                .filter(|b| b.registered_as.as_deref() == Some(person))
                .flat_map(|b| [b.mother.clone(), b.father.clone()])
                .flatten()
                .filter_map(|p| records.person_ref(&p))
                .collect(),
        ),
        Question::ChildrenOf { person } => Answer::People(
            records
                .births
                .iter()
                .filter(|b| b.mother.as_deref() == Some(person) || b.father.as_deref() == Some(person))
                .filter_map(|b| b.registered_as.as_deref())
                .filter_map(|child| records.person_ref(child))
                .collect(),
        ),
        Question::IsDeceased { person } => Answer::Yes(records.person(person).is_some_and(|p| p.deceased.is_some())),
        Question::HasCriminalRecord { person } => Answer::Yes(records.criminal.iter().any(|c| c == person)),
        Question::InsuredMonths { person } => Answer::Count(records.insured_months.get(person).copied().unwrap_or(0)),
        Question::CompaniesOf { person } => Answer::Companies(
            records
                .companies
                .iter()
                .filter(|c| c.shareholders.iter().any(|(s, _)| s == person))
                .map(|c| records.company_view(c))
                .collect(),
        ),
        Question::Shareholders { credit_code } => Answer::Companies(
            records
                .companies
                .iter()
                .filter(|c| &c.credit_code == credit_code)
                .map(|c| records.company_view(c))
                .collect(),
        ),
    }
}

fn apply(records: &mut Records, change: &Change, today: Date) -> Result<Recorded, ConnectorError> {
    let population = Department::Population;
    match change {
        Change::MoveIntoProperty {
            applicant,
            members,
            address,
        } => {
            let from = records
                .household_index_of(applicant)
                .ok_or_else(|| refused(population, "the applicant has no household"))?;
            let moving: Vec<String> = std::iter::once(applicant.clone()).chain(members.iter().cloned()).collect();
            let relations: Vec<(String, Relation)> = records.households[from]
                .members
                .iter()
                .filter(|(m, _)| moving.contains(m))
                .cloned()
                .collect();
            if relations.len() != moving.len() {
                return Err(refused(population, "a member moving is not in the applicant's household"));
            }
            records.households[from].members.retain(|(m, _)| !moving.contains(m));
            if records.households[from].members.is_empty() {
                records.households.remove(from);
            } else if !records.households[from].members.iter().any(|(_, r)| *r == Relation::Head) {
                // The members left behind keep a head: the first of them.
                records.households[from].members[0].1 = Relation::Head;
            }
            let region = applicant.get(..6).unwrap_or_default().to_owned();
            let number = format!("{region}{:06}", records.households.len() + 1);
            let members = relations
                .into_iter()
                .map(|(id, relation)| {
                    let relation = if &id == applicant { Relation::Head } else { relation };
                    (id, relation)
                })
                .collect();
            records.households.push(HouseholdRecord {
                number: number.clone(),
                address: address.clone(),
                members,
            });
            Ok(Recorded {
                reference: number,
                detail: None,
            })
        }
        Change::RegisterBirth { parent, certificate } => {
            let household = records
                .household_index_of(parent)
                .ok_or_else(|| refused(population, "the parent has no household"))?;
            let birth = records
                .births
                .iter()
                .position(|b| &b.birth.certificate == certificate && b.registered_as.is_none())
                .ok_or_else(|| refused(population, "no unregistered birth with that certificate"))?;
            let record = &records.births[birth];
            if record.mother.as_deref() != Some(parent) && record.father.as_deref() != Some(parent) {
                return Err(refused(population, "the applicant is not a parent on the birth certificate"));
            }
            let born: Date = Date::parse(&record.birth.born, &time::format_description::well_known::Iso8601::DATE)
                .map_err(|_| refused(population, "the birth date on record is unreadable"))?;
            let name = record.birth.child_name.clone();
            let region = parent.get(..6).unwrap_or_default().to_owned();
            let sex_wanted = record.birth.sex.clone();
            let id = (0..40)
                .filter_map(|_| records.new_id_number(&region, born))
                .find(|id| id.sex().label_zh() == sex_wanted)
                .ok_or_else(|| refused(population, "no ID number is free for that date"))?;
            let key = id.expose().to_owned();
            records.people.insert(
                key.clone(),
                Person {
                    name,
                    id_number: id,
                    deceased: None,
                },
            );
            records.births[birth].registered_as = Some(key.clone());
            records.households[household].members.push((key.clone(), Relation::Child));
            Ok(Recorded {
                reference: records.households[household].number.clone(),
                detail: Some(key),
            })
        }
        Change::JoinHousehold { head, relative, relation } => {
            let to = records
                .households
                .iter()
                .position(|h| h.members.first().is_some_and(|(m, r)| m == head && *r == Relation::Head))
                .ok_or_else(|| refused(population, "the applicant does not head a household"))?;
            if records.households[to].members.iter().any(|(m, _)| m == relative) {
                return Err(refused(population, "the relative already lives in this household"));
            }
            if records.person(relative).is_none_or(|p| p.deceased.is_some()) {
                return Err(refused(population, "the relative cannot be moved"));
            }
            if let Some(from) = records.household_index_of(relative) {
                records.households[from].members.retain(|(m, _)| m != relative);
                if records.households[from].members.is_empty() {
                    records.households.remove(from);
                } else if !records.households[from].members.iter().any(|(_, r)| *r == Relation::Head) {
                    records.households[from].members[0].1 = Relation::Head;
                }
            }
            let to = records
                .households
                .iter()
                .position(|h| h.members.first().is_some_and(|(m, _)| m == head))
                .ok_or_else(|| refused(population, "the applicant does not head a household"))?;
            records.households[to].members.push((relative.clone(), *relation));
            Ok(Recorded {
                reference: records.households[to].number.clone(),
                detail: None,
            })
        }
        Change::TransferShares {
            credit_code,
            from,
            to,
            percent,
        } => {
            let enterprises = Department::Enterprises;
            let company = records
                .companies
                .iter_mut()
                .find(|c| &c.credit_code == credit_code)
                .ok_or_else(|| refused(enterprises, "no such company"))?;
            let held = company
                .shareholders
                .iter()
                .find(|(s, _)| s == from)
                .map(|(_, p)| *p)
                .ok_or_else(|| refused(enterprises, "the transferor holds no shares"))?;
            if *percent == 0 || *percent > held || from == to {
                return Err(refused(enterprises, "the transfer does not fit the transferor's holding"));
            }
            for (shareholder, stake) in company.shareholders.iter_mut() {
                if shareholder == from {
                    *stake -= percent;
                }
            }
            match company.shareholders.iter_mut().find(|(s, _)| s == to) {
                Some((_, stake)) => *stake += percent,
                None => company.shareholders.push((to.clone(), *percent)),
            }
            company.shareholders.retain(|(_, stake)| *stake > 0);
            Ok(Recorded {
                reference: format!("{credit_code}-{}", today),
                detail: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Citizen, Connectors};
    use super::*;

    /// Six synthetic citizens from the platform's own generator, as the
    /// demo listing would give them.
    fn citizens(n: usize) -> Vec<Citizen> {
        let today = time::macros::date!(2026 - 12 - 01);
        let mut generator = wz_core::PersonGenerator::new(wz_core::PopulationSpec { seed: 2026, today });
        std::iter::repeat_with(|| generator.next_person().0)
            .filter(|r| r.birth_date().year() < 1995)
            .take(n)
            .map(|r| Citizen {
                name: r.name.clone(),
                id_number: r.id_number.expose().to_owned(),
            })
            .collect()
    }

    fn city() -> (Vec<Citizen>, Connectors) {
        let people = citizens(12);
        let city = SimulatedCity::for_citizens(&people, time::macros::date!(2026 - 12 - 01));
        (people, Connectors::simulated(&city))
    }

    #[tokio::test]
    async fn the_registries_agree_with_each_other() {
        let (people, connectors) = city();
        for citizen in &people {
            let person = citizen.id_number.clone();
            let Answer::Household(Some(household)) = connectors.ask(&Question::HouseholdOf { person: person.clone() }).await.unwrap()
            else {
                panic!("every listed citizen has a household");
            };
            assert!(household.members.iter().any(|m| m.person.id_number == person));
            // A spouse by the marriage registry lives in the same household.
            if let Answer::Person(Some(spouse)) = connectors.ask(&Question::SpouseOf { person: person.clone() }).await.unwrap() {
                assert!(household.members.iter().any(|m| m.person == spouse));
            }
            // Parents by birth records, and they are not the citizen.
            let Answer::People(parents) = connectors.ask(&Question::ParentsOf { person: person.clone() }).await.unwrap() else {
                panic!("parents answer");
            };
            assert_eq!(parents.len(), 2);
            assert!(parents.iter().all(|p| p.id_number != person));
        }
        // Owners of a property are the ones its registry names.
        let first = people[0].id_number.clone();
        let Answer::Properties(homes) = connectors.ask(&Question::PropertiesOf { person: first.clone() }).await.unwrap() else {
            panic!("properties answer");
        };
        assert_eq!(homes.len(), 1);
        let owns = Question::OwnsProperty {
            person: first.clone(),
            certificate: homes[0].certificate.clone(),
        };
        assert_eq!(connectors.ask(&owns).await.unwrap(), Answer::Yes(true));
        let not_owner = Question::OwnsProperty {
            person: people[1].id_number.clone(),
            certificate: "浙(2026)不动产权第0000000号".into(),
        };
        assert_eq!(connectors.ask(&not_owner).await.unwrap(), Answer::Yes(false));
        // The last citizen has a record, the first none.
        let record = |person: &str| Question::HasCriminalRecord { person: person.to_owned() };
        assert_eq!(connectors.ask(&record(&people[11].id_number)).await.unwrap(), Answer::Yes(true));
        assert_eq!(connectors.ask(&record(&first)).await.unwrap(), Answer::Yes(false));
    }

    #[tokio::test]
    async fn a_registered_birth_gets_an_id_number_and_joins_the_household() {
        let (people, connectors) = city();
        let parent = people[0].id_number.clone();
        let Answer::Births(births) = connectors
            .ask(&Question::UnregisteredBirthsOf { parent: parent.clone() })
            .await
            .unwrap()
        else {
            panic!("births answer");
        };
        assert_eq!(births.len(), 1);
        let change = Change::RegisterBirth {
            parent: parent.clone(),
            certificate: births[0].certificate.clone(),
        };
        let recorded = connectors.record("app-1", &change).await.unwrap();
        let child = recorded.detail.clone().unwrap();
        let id = wz_core::NationalIdNumber::parse(&child).unwrap();
        assert_eq!(id.birth_date().to_string(), births[0].born);
        assert_eq!(id.sex().label_zh(), births[0].sex);
        let Answer::Household(Some(household)) = connectors.ask(&Question::HouseholdOf { person: parent.clone() }).await.unwrap() else {
            panic!("household");
        };
        assert!(household.members.iter().any(|m| m.person.id_number == child));
        // A retry of the same application answers the same record; another
        // application cannot register the child again.
        assert_eq!(connectors.record("app-1", &change).await.unwrap(), recorded);
        assert!(matches!(
            connectors.record("app-2", &change).await,
            Err(ConnectorError::Refused { .. })
        ));
        let Answer::Births(left) = connectors.ask(&Question::UnregisteredBirthsOf { parent }).await.unwrap() else {
            panic!("births");
        };
        assert!(left.is_empty());
    }

    #[tokio::test]
    async fn a_department_answers_only_its_own_questions() {
        let city = SimulatedCity::for_citizens(&citizens(2), time::macros::date!(2026 - 12 - 01));
        let housing = city.connector(Department::Housing);
        let wrong = Question::HasCriminalRecord { person: "x".into() };
        assert!(matches!(housing.ask(&wrong).await, Err(ConnectorError::NotThisDepartment { .. })));
        let missing = Connectors::default();
        assert!(matches!(missing.ask(&wrong).await, Err(ConnectorError::Unavailable { .. })));
    }

    #[tokio::test]
    async fn shares_move_only_within_a_holding() {
        let (people, connectors) = city();
        let Answer::Companies(companies) = connectors
            .ask(&Question::CompaniesOf {
                person: people[2].id_number.clone(),
            })
            .await
            .unwrap()
        else {
            panic!("companies");
        };
        let company = companies[0].credit_code.clone();
        let transfer = |percent| Change::TransferShares {
            credit_code: company.clone(),
            from: people[3].id_number.clone(),
            to: people[4].id_number.clone(),
            percent,
        };
        assert!(connectors.record("t-1", &transfer(41)).await.is_err());
        connectors.record("t-2", &transfer(40)).await.unwrap();
        let Answer::Companies(after) = connectors.ask(&Question::Shareholders { credit_code: company }).await.unwrap() else {
            panic!("shareholders");
        };
        let holders: Vec<(String, u32)> = after[0]
            .shareholders
            .iter()
            .map(|s| (s.person.id_number.clone(), s.percent))
            .collect();
        assert_eq!(holders, vec![(people[2].id_number.clone(), 60), (people[4].id_number.clone(), 40)]);
    }
}
