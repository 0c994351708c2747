//! GB/T 2260 administrative division codes, shipped as `data/gb2260.tsv`
//! (source and licence in the file header).

use std::collections::HashMap;
use std::sync::OnceLock;

/// One county-level division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Six-digit code.
    pub code: &'static str,
    /// Province-level name, e.g. 广东省.
    pub province: &'static str,
    /// Prefecture-level name; `市辖区` where the province is a municipality.
    pub city: &'static str,
    /// County-level name.
    pub county: &'static str,
}

impl Region {
    /// Human address prefix: province, city (unless a placeholder), county.
    pub fn address_prefix(&self) -> String {
        let city = match self.city {
            "市辖区" | "县" | "省直辖县级行政区划" | "自治区直辖县级行政区划" => "",
            other => other,
        };
        format!("{}{}{}", self.province, city, self.county)
    }

    /// 签发机关: a district's branch office, or a county's own bureau.
    pub fn issuing_authority(&self) -> String {
        let city = match self.city {
            "市辖区" => self.province,
            "县" | "省直辖县级行政区划" | "自治区直辖县级行政区划" => "",
            other => other,
        };
        if self.county.ends_with('区') && !city.is_empty() {
            format!("{city}公安局{}分局", self.county)
        } else {
            format!("{}公安局", self.county)
        }
    }
}

const TABLE: &str = include_str!("../data/gb2260.tsv");

struct RegionIndex {
    all: Vec<Region>,
    by_code: HashMap<&'static str, usize>,
}

fn index() -> &'static RegionIndex {
    static INDEX: OnceLock<RegionIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let all: Vec<Region> = TABLE
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut parts = line.split('\t');
                Some(Region {
                    code: parts.next()?,
                    province: parts.next()?,
                    city: parts.next()?,
                    county: parts.next()?,
                })
            })
            .collect();
        let by_code = all.iter().enumerate().map(|(i, r)| (r.code, i)).collect();
        RegionIndex { all, by_code }
    })
}

/// Finds a county-level region by its six-digit code.
pub fn lookup_region(code: &str) -> Option<&'static Region> {
    let index = index();
    index.by_code.get(code).map(|&i| &index.all[i])
}

/// All regions in table order.
pub(crate) fn all_regions() -> &'static [Region] {
    &index().all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_holds_every_province_and_thousands_of_counties() {
        let regions = all_regions();
        assert!(regions.len() > 2900, "{}", regions.len());
        let provinces: std::collections::HashSet<_> = regions.iter().map(|r| &r.code[..2]).collect();
        assert_eq!(provinces.len(), 31);
        assert_eq!(lookup_region("440106").unwrap().address_prefix(), "广东省广州市天河区");
        assert_eq!(lookup_region("110105").unwrap().address_prefix(), "北京市朝阳区");
        assert!(lookup_region("440100").is_none());
        assert_eq!(lookup_region("440106").unwrap().issuing_authority(), "广州市公安局天河区分局");
        assert_eq!(lookup_region("110105").unwrap().issuing_authority(), "北京市公安局朝阳区分局");
    }
}
