//! TCP: listeners, connections reused by flow, framing by Content-Length (RFC 3261 §18.3), CRLF
//! keep-alives (RFC 5626 §4.4.1), limits on connections, message size and idle time.
//!
//! Each connection is one task running a reader and a writer side by side. Shards never touch a
//! socket: they queue bytes on the connection's channel, found in [`Connections`] by the peer's
//! address — the same entry whether the peer connected to Ringway or Ringway to the peer, so a
//! response or a new request to a peer reuses the connection that exists. When the reader stops
//! (peer closed, idle, framing fault) the entry goes, the writer drains what is queued (a final
//! 400 or 513 still leaves) and the socket closes.

#![allow(clippy::disallowed_methods)] // the shell's idle timer is I/O policy, not a protocol timer

use super::Hub;
use crate::metrics::DropReason;
use crate::sip::flow::{Flow, Transport};
use crate::sip::message::{Framed, StreamError, StreamFramer};
use bytes::Bytes;
use socket2::{Domain, Protocol, Socket, Type};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tracing::{debug, info_span, Instrument};

/// Messages queued for one connection before sends to it fail (a peer that stopped reading).
const QUEUE: usize = 1024;
/// How much to read at once.
const READ_CHUNK: usize = 16 * 1024;

/// Open connections by peer address.
#[derive(Debug, Default)]
pub struct Connections {
    by_remote: Mutex<HashMap<SocketAddr, mpsc::Sender<Bytes>>>,
    open: AtomicUsize,
}

impl Connections {
    /// Queues bytes for the connection to `flow.remote`, connecting first if there is none.
    pub(super) fn send(&self, hub: &Arc<Hub>, flow: Flow, payload: Bytes) {
        let mut map = self.by_remote.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(queue) = map.get(&flow.remote) {
            if queue.try_send(payload).is_err() {
                debug!(%flow, "TCP queue full or closed; message dropped");
            }
            return;
        }
        let (queue, rx) = mpsc::channel(QUEUE);
        let _ = queue.try_send(payload);
        map.insert(flow.remote, queue.clone());
        drop(map);
        let hub = hub.clone();
        tokio::spawn(async move {
            match TcpStream::connect(flow.remote).await {
                Ok(stream) => run(hub, stream, queue, rx).await,
                Err(error) => {
                    debug!(remote = %flow.remote, %error, "TCP connect failed");
                    hub.tcp.forget(flow.remote, &queue);
                    hub.report_transport_error(flow);
                }
            }
        });
    }

    /// Removes the entry for `remote` if it is still this connection's.
    fn forget(&self, remote: SocketAddr, queue: &mpsc::Sender<Bytes>) {
        let mut map = self.by_remote.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(&remote).is_some_and(|q| q.same_channel(queue)) {
            map.remove(&remote);
        }
    }

    fn register(&self, remote: SocketAddr, queue: mpsc::Sender<Bytes>) {
        let mut map = self.by_remote.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(remote, queue);
    }

    /// How many connections are open.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// Binds a listening TCP socket (v6-only for IPv6, address reuse for quick restarts).
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    TcpListener::from_std(socket.into())
}

/// Accepts connections until `shutdown` completes; connections beyond the limit are closed at once.
pub async fn serve(listener: TcpListener, hub: Arc<Hub>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => return,
        };
        let (stream, remote) = match accepted {
            Ok(a) => a,
            Err(error) => {
                debug!(%error, "TCP accept failed");
                continue;
            }
        };
        if hub.tcp.open() >= hub.limits().tcp_max_connections {
            hub.metrics().dropped(DropReason::ConnectionLimit);
            drop(stream);
            continue;
        }
        let (queue, rx) = mpsc::channel(QUEUE);
        hub.tcp.register(remote, queue.clone());
        tokio::spawn(run(hub.clone(), stream, queue, rx));
    }
}

/// Runs one connection until it closes.
async fn run(hub: Arc<Hub>, stream: TcpStream, queue: mpsc::Sender<Bytes>, mut rx: mpsc::Receiver<Bytes>) {
    let (Ok(local), Ok(remote)) = (stream.local_addr(), stream.peer_addr()) else { return };
    let _ = stream.set_nodelay(true);
    let flow = Flow { transport: Transport::Tcp, local, remote };
    hub.tcp.open.fetch_add(1, Ordering::Relaxed);
    hub.metrics().tcp_connections_add(1);
    let (mut reader, mut writer) = stream.into_split();

    let read_side = {
        let hub = hub.clone();
        let queue = queue.clone();
        async move {
            read_messages(&hub, &mut reader, flow, &queue).await;
            hub.tcp.forget(remote, &queue);
            // Dropping the last sender lets the writer finish after draining.
        }
    };
    drop(queue);
    let write_side = async move {
        while let Some(bytes) = rx.recv().await {
            if let Err(error) = writer.write_all(&bytes).await {
                debug!(%flow, %error, "TCP write failed");
                break;
            }
        }
        let _ = writer.shutdown().await;
    };
    tokio::join!(read_side, write_side);
    hub.tcp.open.fetch_sub(1, Ordering::Relaxed);
    hub.metrics().tcp_connections_add(-1);
    hub.report_transport_error(flow);
}

async fn read_messages(hub: &Arc<Hub>, reader: &mut tokio::net::tcp::OwnedReadHalf, flow: Flow, queue: &mpsc::Sender<Bytes>) {
    let limits = hub.limits();
    let mut framer = StreamFramer::new(limits.max_message_size);
    async {
        loop {
            let buf = framer.buffer_mut();
            buf.reserve(READ_CHUNK);
            let read = tokio::time::timeout(limits.tcp_idle_timeout, reader.read_buf(buf)).await;
            match read {
                Err(_) => {
                    debug!(%flow, "TCP connection idle; closing");
                    return;
                }
                Ok(Ok(0)) => return,
                Ok(Ok(n)) => hub.metrics().bytes_in(n),
                Ok(Err(error)) => {
                    debug!(%flow, %error, "TCP read failed");
                    return;
                }
            }
            loop {
                match framer.next_message() {
                    Ok(None) => break,
                    Ok(Some(Framed::Message(message))) => hub.ingress(Ok(message), flow),
                    Ok(Some(Framed::Malformed(malformed))) => hub.ingress(Err(malformed), flow),
                    Ok(Some(Framed::Ping)) => {
                        let _ = queue.try_send(Bytes::from_static(b"\r\n"));
                    }
                    Err(StreamError::TooLarge { salvage }) => {
                        debug!(%flow, "message over the size limit; closing");
                        match salvage {
                            Some(salvage) => hub.reject_too_large(&salvage, flow),
                            None => hub.metrics().dropped(DropReason::TooLarge),
                        }
                        return;
                    }
                    Err(StreamError::BadFraming(malformed)) => {
                        debug!(%flow, error = %malformed.error, "unrecoverable framing; closing");
                        hub.ingress(Err(malformed), flow);
                        return;
                    }
                }
            }
        }
    }
    .instrument(info_span!("tcp", remote = %flow.remote))
    .await
}
