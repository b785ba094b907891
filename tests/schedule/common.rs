//! Helpers: instants, local times and trigger nodes from short strings.

pub use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
pub use chrono_tz::Tz;
pub use warmup::engine::schedule::{
    activation_floor, due_fire, due_fire_within, fires_between, next_fire, next_local_time, owed,
    resolve_local, Fire, Owed, TICK_TOLERANCE,
};
pub use warmup::scenario::compiled::{NodeKind, OnDate, Repeat, Schedule, Wait};
pub use warmup::scenario::model::CatchUp;

pub const PRAGUE: Tz = chrono_tz::Europe::Prague;
pub const NEW_YORK: Tz = chrono_tz::America::New_York;

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test instant")
        .with_timezone(&Utc)
}

pub fn local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").expect("test local time")
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

pub fn time(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").expect("test time")
}

pub fn daily(at: &str, start: Option<&str>, end: Option<&str>, catch_up: CatchUp) -> NodeKind {
    NodeKind::Repeat(Repeat {
        schedule: Schedule::Daily(time(at)),
        start: start.map(date),
        end: end.map(date),
        catch_up,
    })
}

pub fn cron(expression: &str, start: Option<&str>, end: Option<&str>) -> NodeKind {
    NodeKind::Repeat(Repeat {
        schedule: Schedule::Cron(expression.to_string()),
        start: start.map(date),
        end: end.map(date),
        catch_up: CatchUp::Run,
    })
}

pub fn on_date(at: &str, catch_up: CatchUp) -> NodeKind {
    NodeKind::OnDate(OnDate {
        at: local(at),
        catch_up,
    })
}

pub fn instants(fires: &[Fire]) -> Vec<String> {
    fires.iter().map(|f| f.at.to_rfc3339()).collect()
}

pub fn days(fires: &[Fire]) -> Vec<Option<u32>> {
    fires.iter().map(|f| f.day).collect()
}

pub const EPOCH: &str = "2026-01-01T00:00:00Z";
