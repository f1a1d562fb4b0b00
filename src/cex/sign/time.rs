//! The time formats venues sign: ISO-8601 UTC with milliseconds (OKX) or whole seconds (HTX),
//! computed from milliseconds since the epoch without a calendar library; and RFC 3339 UTC
//! timestamps read back (Kraken's and Coinbase's order and trade times).

/// `YYYY-MM-DDThh:mm:ss.mmmZ` (OKX's `OK-ACCESS-TIMESTAMP`).
pub fn iso8601_millis(time_ms: u64) -> String {
    format!("{}.{:03}Z", iso8601_seconds(time_ms), time_ms % 1000)
}

/// `YYYY-MM-DDThh:mm:ss`, UTC, no zone suffix (HTX's `Timestamp`).
pub fn iso8601_seconds(time_ms: u64) -> String {
    let secs = time_ms / 1000;
    let (y, m, d) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Milliseconds since the epoch of an RFC 3339 UTC time (`2019-08-14T20:42:27.265Z`, any number
/// of fraction digits; Coinbase's times); `None` if it is not one. The inverse of
/// [`iso8601_millis`].
pub fn rfc3339_ms(t: &str) -> Option<u64> {
    let b = t.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut ms = 0i64;
    if b.get(19) == Some(&b'.') {
        let frac: String = t[20..].chars().take_while(char::is_ascii_digit).collect();
        let f3: String = frac.chars().chain("000".chars()).take(3).collect();
        ms = f3.parse().ok()?;
        if t.get(20 + frac.len()..) != Some("Z") {
            return None;
        }
    } else if t.get(19..) != Some("Z") {
        return None;
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // days from the civil date (Howard Hinnant's algorithm)
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(((days * 24 + h) * 60 + mi) * 60 + s)
        .ok()?
        .checked_mul(1000)?
        .checked_add(u64::try_from(ms).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_timestamps() {
        // OKX's documented header value and HTX's documented `Timestamp`.
        assert_eq!(
            iso8601_millis(1_607_418_537_715),
            "2020-12-08T09:08:57.715Z"
        );
        assert_eq!(iso8601_seconds(1_494_515_970_000), "2017-05-11T15:19:30");
    }

    #[test]
    fn rfc3339_read_back() {
        for ms in [0, 951_782_400_000, 1_607_418_537_715, 4_107_542_400_999] {
            assert_eq!(rfc3339_ms(&iso8601_millis(ms)), Some(ms));
        }
        assert_eq!(
            rfc3339_ms("2014-11-07T22:19:28.578544Z"),
            Some(1_415_398_768_578)
        );
        assert_eq!(rfc3339_ms("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(rfc3339_ms("2014-13-07T22:19:28Z"), None);
        assert_eq!(rfc3339_ms("yesterday"), None);
        // Kraken's and Coinbase Advanced's forms; an offset or a blank is not one.
        assert_eq!(
            rfc3339_ms("2023-09-27T08:01:51.111111Z"),
            Some(1_695_801_711_111)
        );
        assert_eq!(rfc3339_ms("2017-05-11T15:19:30Z"), Some(1_494_515_970_000));
        assert_eq!(rfc3339_ms("2017-05-11 15:19:30"), None);
        assert_eq!(rfc3339_ms("2017-05-11T15:19:30.5+02:00"), None);
        assert_eq!(rfc3339_ms("2017-05-11T15:19:30"), None);
    }

    #[test]
    fn calendar_edges() {
        assert_eq!(iso8601_millis(0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 (a leap day in a century year divisible by 400) and the next day.
        assert_eq!(iso8601_seconds(951_782_400_000), "2000-02-29T00:00:00");
        assert_eq!(iso8601_seconds(951_868_799_999), "2000-02-29T23:59:59");
        assert_eq!(iso8601_seconds(951_868_800_000), "2000-03-01T00:00:00");
        // 2100 is not a leap year.
        assert_eq!(iso8601_seconds(4_107_542_400_000), "2100-03-01T00:00:00");
        assert_eq!(
            iso8601_millis(1_704_067_199_999),
            "2023-12-31T23:59:59.999Z"
        );
    }
}
