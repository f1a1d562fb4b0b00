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

/// Milliseconds of an RFC 3339 UTC timestamp (`2023-09-27T08:01:51.111111Z`; 0 if unreadable).
pub fn rfc3339_ms(t: Option<&str>) -> u64 {
    fn num(s: &str) -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    }
    let parse = |t: &str| -> Option<u64> {
        let t = t.strip_suffix('Z')?;
        let (date, time) = t.split_once('T')?;
        let mut d = date.split('-');
        let (y, m, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
        let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
        let mut h = hms.split(':');
        let (hh, mm, ss) = (num(h.next()?)?, num(h.next()?)?, num(h.next()?)?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        // days from the civil date (Howard Hinnant's algorithm)
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let ms_frac = match frac.get(..3) {
            Some(f) => num(f)?,
            None if frac.is_empty() => 0,
            None => num(frac)? * 10i64.pow(3 - u32::try_from(frac.len()).ok()?),
        };
        let ms = ((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms_frac;
        u64::try_from(ms).ok()
    };
    t.and_then(parse).unwrap_or(0)
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
    fn rfc3339_reads_back() {
        assert_eq!(
            rfc3339_ms(Some("2020-12-08T09:08:57.715Z")),
            1_607_418_537_715
        );
        assert_eq!(
            rfc3339_ms(Some("2023-09-27T08:01:51.111111Z")),
            1_695_801_711_111
        );
        assert_eq!(rfc3339_ms(Some("2017-05-11T15:19:30Z")), 1_494_515_970_000);
        assert_eq!(rfc3339_ms(Some("2017-05-11 15:19:30")), 0);
        assert_eq!(rfc3339_ms(None), 0);
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
