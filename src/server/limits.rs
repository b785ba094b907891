//! Timeouts and the connection limit of the HTTP server: what keeps slow or idle clients
//! from holding connections, file descriptors or a shutdown hostage.
//!
//! | limit | enforced by | default |
//! |---|---|---|
//! | header read (and keep-alive idle) | hyper's HTTP/1 `header_read_timeout` | 10 s |
//! | pause while a body arrives | tower-http `RequestBodyTimeoutLayer` (408) | 30 s |
//! | whole request | tower-http `TimeoutLayer` (408) | 60 s |
//! | open connections | a semaphore permit per accepted connection | 512, capped by the open-file limit |
//! | graceful shutdown | hyper-util `GracefulShutdown`, then connections are closed | 10 s |

use std::time::Duration;

use super::ServerError;
use crate::actions::duration::parse_duration;
use crate::project::ServerConfig;

/// File descriptors kept free for the store, outgoing HTTP and SMTP, and logs: the
/// connection limit never lets clients take these.
const RESERVED_FDS: u64 = 128;

/// The server's timeouts and connection limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Time to receive a request's headers; also how long an idle keep-alive connection
    /// stays open.
    pub header_read_timeout: Duration,
    /// Longest pause between two parts of a request body.
    pub body_read_timeout: Duration,
    /// Longest time from a request's headers to its answer.
    pub request_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// How long a graceful shutdown waits for requests in flight.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            max_connections: 512,
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// The limits of a project's `server` section; a duration that does not parse, a zero
    /// duration or a zero connection limit is an error naming the field.
    pub fn from_config(config: &ServerConfig) -> Result<Self, ServerError> {
        let defaults = Self::default();
        let duration = |field: &str, value: &Option<String>, default: Duration| {
            let name = format!("server.{field}");
            let parsed = parse_duration(&name, value.as_deref(), default)
                .map_err(|error| ServerError::Setting(error.to_string()))?;
            if parsed.is_zero() {
                return Err(ServerError::Setting(format!(
                    "`{name}` must be longer than zero"
                )));
            }
            Ok(parsed)
        };
        let max_connections = config.max_connections.unwrap_or(defaults.max_connections);
        if max_connections == 0 {
            return Err(ServerError::Setting(
                "`server.max_connections` must be at least 1".into(),
            ));
        }
        Ok(Self {
            header_read_timeout: duration(
                "header_read_timeout",
                &config.header_read_timeout,
                defaults.header_read_timeout,
            )?,
            body_read_timeout: duration(
                "body_read_timeout",
                &config.body_read_timeout,
                defaults.body_read_timeout,
            )?,
            request_timeout: duration(
                "request_timeout",
                &config.request_timeout,
                defaults.request_timeout,
            )?,
            max_connections,
            shutdown_timeout: duration(
                "shutdown_timeout",
                &config.shutdown_timeout,
                defaults.shutdown_timeout,
            )?,
        })
    }

    /// The connection limit this process can honour: `max_connections`, lowered so that
    /// connections never exhaust the open-file limit (a process out of descriptors cannot
    /// accept its health checks, nor open its store).
    pub fn effective_max_connections(&self) -> usize {
        match open_file_limit() {
            Some(limit) => {
                let room = limit.saturating_sub(RESERVED_FDS).max(1);
                self.max_connections
                    .min(usize::try_from(room).unwrap_or(usize::MAX))
            }
            None => self.max_connections,
        }
    }
}

/// The soft `RLIMIT_NOFILE` of this process, when it is finite.
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let status = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (status == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> ServerConfig {
        serde_yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn defaults_apply_and_settings_override_them() {
        assert_eq!(
            Limits::from_config(&config("{}")).unwrap(),
            Limits::default()
        );
        let limits = Limits::from_config(&config(
            "header_read_timeout: 2s\nbody_read_timeout: 500ms\nrequest_timeout: 1m\nmax_connections: 7\nshutdown_timeout: 3s\n",
        ))
        .unwrap();
        assert_eq!(limits.header_read_timeout, Duration::from_secs(2));
        assert_eq!(limits.body_read_timeout, Duration::from_millis(500));
        assert_eq!(limits.request_timeout, Duration::from_secs(60));
        assert_eq!(limits.max_connections, 7);
        assert_eq!(limits.shutdown_timeout, Duration::from_secs(3));
        assert!(limits.effective_max_connections() <= 7);
    }

    #[test]
    fn bad_values_name_their_field() {
        let error = Limits::from_config(&config("request_timeout: soon\n")).unwrap_err();
        assert!(
            error.to_string().contains("`server.request_timeout`"),
            "{error}"
        );
        let error = Limits::from_config(&config("shutdown_timeout: 0s\n")).unwrap_err();
        assert!(
            error.to_string().contains("`server.shutdown_timeout`"),
            "{error}"
        );
        let error = Limits::from_config(&config("max_connections: 0\n")).unwrap_err();
        assert!(
            error.to_string().contains("`server.max_connections`"),
            "{error}"
        );
    }
}
