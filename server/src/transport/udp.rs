//! UDP: one receive loop per bound socket (RFC 3261 §18.1.2, §18.2.1).
//!
//! Each datagram is one message: copied out of the receive buffer into its own allocation (so a
//! long-lived message never pins a large shared buffer), parsed, and handed to the hub. Datagrams
//! holding only whitespace are keep-alives (RFC 5626 §3.5.1 style CRLF) and are ignored.

use super::Hub;
use crate::metrics::DropReason;
use crate::sip::flow::{Flow, Transport};
use crate::sip::message::parse_datagram;
use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::UdpSocket;
use tracing::debug;

/// Receive and send buffer size asked of the kernel: bursts of thousands of calls per second must
/// not overflow the default ~200 KiB.
const SOCKET_BUFFER: usize = 8 * 1024 * 1024;

/// Binds a UDP socket; IPv6 sockets are v6-only so that `[::]` and `0.0.0.0` can share a port.
pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // Best effort: an unprivileged process may be capped lower, which only costs headroom.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
    socket.bind(&addr.into())?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket.into())
}

/// Receives datagrams on `socket` until `shutdown` completes.
pub async fn serve(socket: Arc<UdpSocket>, hub: Arc<Hub>, shutdown: impl Future<Output = ()>) {
    let Ok(local) = socket.local_addr() else { return };
    let max = hub.limits().max_message_size;
    // One byte more than the limit tells "exactly at the limit" from "truncated by the kernel".
    let mut buf = vec![0u8; max.max(1) + 1];
    tokio::pin!(shutdown);
    loop {
        let received = tokio::select! {
            received = socket.recv_from(&mut buf) => received,
            () = &mut shutdown => return,
        };
        let (n, remote) = match received {
            Ok(r) => r,
            Err(error) => {
                // ICMP port unreachable from an earlier send surfaces here on Linux; not fatal.
                debug!(%local, %error, "UDP receive error");
                continue;
            }
        };
        hub.metrics().bytes_in(n);
        if n > max {
            hub.metrics().dropped(DropReason::TooLarge);
            continue;
        }
        let datagram = &buf[..n];
        if datagram.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let flow = Flow { transport: Transport::Udp, local, remote };
        hub.ingress(parse_datagram(Bytes::copy_from_slice(datagram)), flow);
    }
}
