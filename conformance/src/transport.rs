//! The two SIP transports the runner exercises, and how each is named to SIPp.

use std::fmt;
use std::str::FromStr;

/// A transport a case runs over. SIPp is always run with one socket (`u1` / `t1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP, SIPp `-t u1`.
    Udp,
    /// TCP, SIPp `-t t1`.
    Tcp,
}

impl Transport {
    /// Every transport, in the order the runner tries them.
    pub const ALL: [Transport; 2] = [Transport::Udp, Transport::Tcp];

    /// The lower-case name used on the command line, in directives and in Ringway's
    /// `listening <kind> <addr>` lines.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }

    /// The value of SIPp's `-t` option.
    pub fn sipp_mode(self) -> &'static str {
        match self {
            Transport::Udp => "u1",
            Transport::Tcp => "t1",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Transport {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "udp" => Ok(Transport::Udp),
            "tcp" => Ok(Transport::Tcp),
            other => anyhow::bail!("unknown transport {other:?} (expected udp or tcp)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_case_insensitively_and_rejects_others() {
        assert_eq!("UDP".parse::<Transport>().unwrap(), Transport::Udp);
        assert_eq!(" tcp".parse::<Transport>().unwrap(), Transport::Tcp);
        assert!("sctp".parse::<Transport>().is_err());
    }

    #[test]
    fn maps_to_single_socket_sipp_modes() {
        assert_eq!(Transport::Udp.sipp_mode(), "u1");
        assert_eq!(Transport::Tcp.sipp_mode(), "t1");
    }
}
