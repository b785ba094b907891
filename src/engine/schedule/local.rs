//! Local wall-clock times in a scenario's time zone, turned into instants.
//!
//! The rules (DESIGN §4): a local time that does not exist because the clocks sprang
//! forward runs at the first instant after the gap; a local time that exists twice because
//! the clocks fell back runs once, at the earlier instant. [`resolve_local`] is therefore
//! monotonic: a later local time never resolves to an earlier instant, which the schedule
//! iterators rely on.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The longest gap searched for its end. Real zones skip at most one day (Samoa, 2011).
const MAX_GAP: Duration = Duration::hours(48);

/// A local date-time in `tz` as an instant: a time in a spring-forward gap resolves to the
/// first instant after the gap; an ambiguous (fall-back) time to the earlier instant.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => gap_end(tz, local),
    }
}

/// Whether `local` exists in `tz` (is not inside a gap).
fn exists(tz: Tz, local: NaiveDateTime) -> bool {
    !matches!(tz.from_local_datetime(&local), LocalResult::None)
}

/// The first instant after the gap containing `local`: the instant whose local time is the
/// first existing local time after `local`.
///
/// Transitions fall on whole minutes in every zone since the 1970s but on odd seconds in
/// older local mean times, so the search walks minutes and then refines to the second.
fn gap_end(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let whole_minute = local - Duration::seconds(i64::from(chrono::Timelike::second(&local)));
    let mut candidate = whole_minute + Duration::minutes(1);
    while candidate - local <= MAX_GAP {
        if exists(tz, candidate) {
            for _ in 0..60 {
                let earlier = candidate - Duration::seconds(1);
                if earlier <= local || !exists(tz, earlier) {
                    break;
                }
                candidate = earlier;
            }
            return resolve_existing(tz, candidate);
        }
        candidate += Duration::minutes(1);
    }
    // No zone in the database has such a gap; read the time with the offset in force at
    // the same wall-clock reading in UTC rather than failing.
    let offset = tz.offset_from_utc_datetime(&local);
    tz.from_utc_datetime(&(local - offset_duration(&offset)))
        .with_timezone(&Utc)
}

fn resolve_existing(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => local.and_utc(),
    }
}

fn offset_duration(offset: &<Tz as TimeZone>::Offset) -> Duration {
    use chrono::Offset;
    Duration::seconds(i64::from(offset.fix().local_minus_utc()))
}

/// The local wall-clock time of an instant in `tz`.
/// Saturates at the ends of representable time, where chrono's own conversion panics.
pub fn local_of(tz: Tz, at: DateTime<Utc>) -> NaiveDateTime {
    use chrono::Offset;
    let offset = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
    at.naive_utc()
        .checked_add_offset(offset)
        .unwrap_or(if offset.local_minus_utc() < 0 {
            NaiveDateTime::MIN
        } else {
            NaiveDateTime::MAX
        })
}
