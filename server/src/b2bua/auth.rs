//! Gateways that authenticate: a 401/407 to a B-leg INVITE is answered once with the gateway's
//! credentials (RFC 3261 §22.2–22.3), in a new INVITE on the same dialog identifiers with the
//! next CSeq.

use super::{B2bua, CallKey, ClientRole, Core};
use crate::sip::digest;
use crate::sip::message::{HeaderName, Response};
use std::time::Instant;
use tracing::debug;

impl B2bua {
    /// Resends attempt `index`'s INVITE with credentials answering `challenge`'s 401/407.
    pub(super) fn retry_with_auth(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, index: usize, challenge: &Response) {
        let server_name = self.settings.server_name.clone();
        let Some(call) = self.calls.get_mut(&key) else { return };
        let leg = &mut call.legs[index];
        leg.auth_tried = true;
        let Some((username, password)) = leg.target.credentials.clone() else { return };
        let proxy = challenge.status.as_u16() == 407;
        let (ask, answer) = if proxy {
            (HeaderName::ProxyAuthenticate, HeaderName::ProxyAuthorization)
        } else {
            (HeaderName::WwwAuthenticate, HeaderName::Authorization)
        };
        let uri = String::from_utf8_lossy(&leg.invite.uri).into_owned();
        let cnonce = core.minter.tag();
        let credentials = challenge
            .headers
            .auth_values(&ask)
            .filter_map(Result::ok)
            .find_map(|c| digest::authorize(&c, "INVITE", &uri, &username, &password, &cnonce));
        let Some(credentials) = credentials else {
            debug!(%key, "gateway challenge not answerable");
            return self.give_up_auth(now, core, key, index, challenge);
        };
        let mut invite = leg.invite.clone();
        invite.headers.remove_first(&HeaderName::Via);
        invite.headers.remove_all(&HeaderName::Authorization);
        invite.headers.remove_all(&HeaderName::ProxyAuthorization);
        let seq = invite.headers.cseq().map(|c| c.seq).unwrap_or(1) + 1;
        invite.headers.set(HeaderName::CSeq, format!("{seq} INVITE"));
        invite.headers.push(answer, credentials);
        super::build::finish_request(&mut invite, leg.target.flow, core.minter, &server_name);
        match core.transactions.send_request(now, invite.clone(), leg.target.flow) {
            Ok(tx) => {
                if let Some(old) = leg.tx.replace(tx) {
                    self.client_txs.remove(&old);
                }
                leg.invite = invite;
                self.client_txs.insert(tx, (key, ClientRole::Invite(index)));
            }
            Err(error) => {
                debug!(%key, %error, "authenticated INVITE not sent");
                self.give_up_auth(now, core, key, index, challenge);
            }
        }
    }

    /// The challenge cannot be answered: the attempt fails with it.
    fn give_up_auth(&mut self, now: Instant, core: &mut Core<'_>, key: CallKey, index: usize, challenge: &Response) {
        let Some(call) = self.calls.get_mut(&key) else { return };
        call.legs[index].outcome = Some(super::AttemptOutcome::Failed {
            status: challenge.status.as_u16(),
            reason: challenge.reason.clone(),
            reason_header: None,
        });
        self.leg_over(key, index);
        self.after_leg_failure(now, core, key, index);
    }
}
