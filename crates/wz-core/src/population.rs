//! Deterministic generator of a realistic demo population: valid ID numbers
//! with real region codes, names drawn by surname frequency, addresses,
//! issuing authorities and validity periods by the age rule.

use std::collections::HashSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

use crate::identity::add_years;
use crate::region::all_regions;
use crate::{CardSerial, IdentityRecord, IdentityStatus, NationalIdNumber, Sex, Validity};

/// Common surnames with their approximate share in per mille of the
/// population (after the Ministry of Public Security's 2020 surname report;
/// rounded, the tail lumped into the last entries).
const SURNAMES: &[(&str, u32)] = &[
    ("王", 71),
    ("李", 70),
    ("张", 67),
    ("刘", 54),
    ("陈", 45),
    ("杨", 31),
    ("黄", 22),
    ("赵", 22),
    ("吴", 20),
    ("周", 19),
    ("徐", 15),
    ("孙", 15),
    ("马", 13),
    ("朱", 13),
    ("胡", 12),
    ("郭", 11),
    ("何", 11),
    ("林", 10),
    ("高", 10),
    ("罗", 10),
    ("郑", 9),
    ("梁", 9),
    ("谢", 8),
    ("宋", 7),
    ("唐", 7),
    ("许", 6),
    ("韩", 6),
    ("冯", 6),
    ("邓", 6),
    ("曹", 6),
    ("彭", 6),
    ("曾", 6),
    ("肖", 6),
    ("田", 5),
    ("董", 5),
    ("袁", 5),
    ("潘", 5),
    ("于", 5),
    ("蒋", 5),
    ("蔡", 5),
    ("余", 5),
    ("杜", 4),
    ("叶", 4),
    ("程", 4),
    ("苏", 4),
    ("魏", 4),
    ("吕", 4),
    ("丁", 4),
    ("任", 4),
    ("沈", 4),
    ("姚", 4),
    ("卢", 3),
    ("姜", 3),
    ("崔", 3),
    ("钟", 3),
    ("谭", 3),
    ("陆", 3),
    ("汪", 3),
    ("范", 3),
    ("金", 3),
    ("石", 3),
    ("廖", 2),
    ("贾", 2),
    ("夏", 2),
    ("韦", 2),
    ("付", 2),
    ("方", 2),
    ("白", 2),
    ("邹", 2),
    ("孟", 2),
    ("熊", 2),
    ("秦", 2),
    ("邱", 1),
    ("江", 1),
    ("尹", 1),
    ("薛", 1),
    ("闫", 1),
    ("段", 1),
    ("雷", 1),
    ("侯", 1),
    ("龙", 1),
    ("史", 1),
    ("陶", 1),
    ("黎", 1),
    ("贺", 1),
    ("顾", 1),
    ("毛", 1),
    ("郝", 1),
    ("龚", 1),
    ("邵", 1),
    ("万", 1),
    ("钱", 1),
    ("严", 1),
    ("覃", 1),
    ("武", 1),
    ("戴", 1),
    ("欧阳", 1),
    ("上官", 1),
];
const MALE_GIVEN: &str = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳洋志建国文峰海晨博轩睿泽然皓航毅坤德成";
const FEMALE_GIVEN: &str = "芳娜敏静丽艳娟霞秀玲英燕丹萍红婷雪琳洁梅莉倩颖佳欣悦怡涵萱雨诗梦思雅琪晴璐瑶蕾薇妍";
const SHARED_GIVEN: &str = "子一文嘉晓小思欣俊宇安嘉明天心";
const STREETS: &[&str] = &[
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "新华路",
    "胜利路",
    "长江路",
    "黄河路",
    "朝阳路",
    "文化路",
    "光明街",
    "东风路",
    "民主街",
    "青年路",
    "健康路",
    "幸福路",
    "花园路",
    "工业大道",
    "滨江路",
    "学府路",
    "体育路",
    "迎宾大道",
    "开发区大道",
];
const COMMUNITIES: &[&str] = &[
    "阳光小区",
    "锦绣花园",
    "幸福里",
    "和谐家园",
    "翠苑",
    "金色家园",
    "怡景苑",
    "新村",
    "丽景湾",
    "书香苑",
];

/// Parameters of a generated population.
#[derive(Debug, Clone, Copy)]
pub struct PopulationSpec {
    /// Seed: the same seed and date give the same people.
    pub seed: u64,
    /// "Today" for ages, validity and status.
    pub today: Date,
}

/// Generates people one after another; never repeats an ID number.
pub struct PersonGenerator {
    spec: PopulationSpec,
    rng: ChaCha8Rng,
    issued_ids: HashSet<[u8; 18]>,
    index: u64,
    surname_total: u32,
}

impl PersonGenerator {
    /// Starts a population.
    pub fn new(spec: PopulationSpec) -> Self {
        Self {
            spec,
            rng: ChaCha8Rng::seed_from_u64(spec.seed),
            issued_ids: HashSet::new(),
            index: 0,
            surname_total: SURNAMES.iter().map(|(_, w)| w).sum(),
        }
    }

    /// The next person and their card's registry status.
    pub fn next_person(&mut self) -> (IdentityRecord, IdentityStatus) {
        let region = &all_regions()[self.rng.gen_range(0..all_regions().len())];
        let birth = self.birth_date();
        let id_number = self.unique_id_number(region.code, birth);
        let sex = id_number.sex();
        let validity = self.validity(birth);
        let mut status = if validity.is_valid_on(self.spec.today) {
            IdentityStatus::Valid
        } else {
            IdentityStatus::Expired
        };
        if status == IdentityStatus::Valid && self.rng.gen_ratio(1, 200) {
            status = IdentityStatus::ReportedLost;
        }
        let reissues = self.rng.gen_range(0..3u64);
        // Unique by construction: index plus a seed-dependent offset.
        let serial_number = (self.spec.seed.wrapping_mul(1_000_003).wrapping_add(self.index)) % 10_000_000_000;
        let card_serial = CardSerial::from_number(reissues * 10_000_000_000 + serial_number);
        self.index += 1;
        let record = IdentityRecord {
            name: self.name(sex),
            sex,
            ethnicity: self.ethnicity().to_owned(),
            address: self.address(&region.address_prefix()),
            issuing_authority: region.issuing_authority(),
            validity,
            card_serial,
            portrait: None,
            id_number,
        };
        (record, status)
    }

    fn birth_date(&mut self) -> Date {
        let age_days = if self.rng.gen_ratio(85, 100) {
            self.rng.gen_range(0..71 * 365)
        } else {
            self.rng.gen_range(71 * 365..95 * 365)
        };
        self.spec.today - Duration::days(age_days)
    }

    fn unique_id_number(&mut self, region_code: &str, birth: Date) -> NationalIdNumber {
        loop {
            let sequence = self.rng.gen_range(1..=999);
            if let Ok(id) = NationalIdNumber::compose(region_code, birth, sequence) {
                let mut key = [0u8; 18];
                key.copy_from_slice(id.expose().as_bytes());
                if self.issued_ids.insert(key) {
                    return id;
                }
            }
        }
    }

    fn validity(&mut self, birth: Date) -> Validity {
        let today = self.spec.today;
        let issued = (today - Duration::days(self.rng.gen_range(0..7300))).max(birth);
        let validity = Validity::by_age_rule(birth, issued);
        // Most people renew on time: keep about one lapsed card in ten.
        if validity.is_valid_on(today) || self.rng.gen_ratio(1, 10) {
            return validity;
        }
        let renewed = (today - Duration::days(self.rng.gen_range(0..5 * 365))).max(birth);
        Validity::by_age_rule(birth, renewed.min(add_years(today, 0)))
    }

    fn name(&mut self, sex: Sex) -> String {
        let mut pick = self.rng.gen_range(0..self.surname_total);
        let mut surname = SURNAMES[0].0;
        for (candidate, weight) in SURNAMES {
            if pick < *weight {
                surname = candidate;
                break;
            }
            pick -= weight;
        }
        let pool: Vec<char> = match sex {
            Sex::Male => MALE_GIVEN.chars().chain(SHARED_GIVEN.chars()).collect(),
            Sex::Female => FEMALE_GIVEN.chars().chain(SHARED_GIVEN.chars()).collect(),
        };
        let length = if self.rng.gen_ratio(3, 10) { 1 } else { 2 };
        let given: String = (0..length).map(|_| pool[self.rng.gen_range(0..pool.len())]).collect();
        format!("{surname}{given}")
    }

    fn ethnicity(&mut self) -> &'static str {
        // Seventh census (2020): Han 91.1 %; the largest minorities follow.
        const MINORITIES: [&str; 10] = ["壮", "维吾尔", "回", "苗", "满", "彝", "土家", "藏", "蒙古", "布依"];
        if self.rng.gen_ratio(911, 1000) {
            "汉"
        } else {
            MINORITIES[self.rng.gen_range(0..MINORITIES.len())]
        }
    }

    fn address(&mut self, prefix: &str) -> String {
        street_address(&mut self.rng, prefix)
    }
}

/// A street address under `prefix` (province, city, county), drawn from
/// `rng`: street and number, and in most cases a building and room in a
/// residential community. Other synthetic registries (the service hall's
/// simulated departments) draw theirs the same way.
pub fn street_address(rng: &mut impl Rng, prefix: &str) -> String {
    let street = STREETS[rng.gen_range(0..STREETS.len())];
    let number = rng.gen_range(1..400);
    if rng.gen_bool(0.6) {
        let community = COMMUNITIES[rng.gen_range(0..COMMUNITIES.len())];
        let building = rng.gen_range(1..30);
        let room = rng.gen_range(1..30) * 100 + rng.gen_range(1..5);
        format!("{prefix}{street}{number}号{community}{building}栋{room}房")
    } else {
        format!("{prefix}{street}{number}号")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn generate(seed: u64, n: usize) -> Vec<(IdentityRecord, IdentityStatus)> {
        let mut generator = PersonGenerator::new(PopulationSpec {
            seed,
            today: date!(2026 - 11 - 22),
        });
        (0..n).map(|_| generator.next_person()).collect()
    }

    #[test]
    fn same_seed_same_people_other_seed_other_people() {
        let a = generate(7, 50);
        assert_eq!(a, generate(7, 50));
        assert_ne!(a, generate(8, 50));
    }

    #[test]
    fn people_are_valid_unique_and_plausible() {
        let people = generate(1, 5000);
        let mut ids = HashSet::new();
        let mut serials = HashSet::new();
        let mut wang = 0;
        for (record, status) in &people {
            record.validate().unwrap();
            assert!(NationalIdNumber::parse(record.id_number.expose()).is_ok());
            assert!(ids.insert(record.id_number.expose().to_owned()));
            assert!(serials.insert(record.card_serial.clone()));
            assert_eq!(
                *status == IdentityStatus::Expired,
                !record.validity.is_valid_on(date!(2026 - 11 - 22))
            );
            wang += usize::from(record.name.starts_with('王'));
        }
        // 王 carries 71 of the table's 790 weight, about 9 % of names.
        assert!((350..550).contains(&wang), "{wang}");
        let expired = people.iter().filter(|(_, s)| *s == IdentityStatus::Expired).count();
        assert!(expired > 0 && expired < 500, "{expired}");
    }
}
