//! Desensitisation (脱敏) of names, ID numbers and addresses for display to
//! parties not entitled to the full value.

/// `张三丰` → `张*丰`, `李四` → `李*`, `欧阳娜娜` → `欧**娜`.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_owned(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// `440106199001011234` → `4401**********1234`: region prefix and the last
/// four characters kept, as the national platform prints them.
pub fn mask_id_number(id_number: &str) -> String {
    let chars: Vec<char> = id_number.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Keeps the administrative prefix (up to the first 区/县/市/旗 within the
/// first 12 characters, else the first 6 characters) and hides the rest:
/// `广东省广州市天河区体育西路103号` → `广东省广州市天河区****`.
pub fn mask_address(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    let keep = chars
        .iter()
        .take(12)
        .enumerate()
        .filter(|(_, c)| matches!(c, '区' | '县' | '市' | '旗'))
        .map(|(i, _)| i + 1)
        .next_back()
        .unwrap_or_else(|| chars.len().min(6));
    let kept: String = chars[..keep].iter().collect();
    if keep < chars.len() {
        format!("{kept}****")
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_names_of_every_length() {
        assert_eq!(mask_name("张三丰"), "张*丰");
        assert_eq!(mask_name("李四"), "李*");
        assert_eq!(mask_name("欧阳娜娜"), "欧**娜");
        assert_eq!(mask_name("王"), "*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn masks_id_numbers_keeping_prefix_and_tail() {
        assert_eq!(mask_id_number("44010619900101123X"), "4401**********123X");
        assert_eq!(mask_id_number("123"), "***");
    }

    #[test]
    fn masks_addresses_after_the_district() {
        assert_eq!(mask_address("广东省广州市天河区体育西路103号"), "广东省广州市天河区****");
        assert_eq!(mask_address("北京市朝阳区建国路1号"), "北京市朝阳区****");
        assert_eq!(mask_address("某地某某街道一号院"), "某地某某街道****");
    }
}
