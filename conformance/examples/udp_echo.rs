//! The I/O floor of the load benchmark: the cheapest possible UDP request/response server (one
//! thread, blocking `recv_from`/`send_to`), and a client that keeps a window of datagrams in
//! flight against it. The benchmark divides the server's CPU time by the datagrams it echoed:
//! no SIP server can answer a request for less.
//!
//! `udp_echo serve 127.0.0.1:PORT` · `udp_echo load 127.0.0.1:PORT COUNT [WINDOW]`

use std::net::UdpSocket;
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => {
            let socket = UdpSocket::bind(&args[2])?;
            println!("ready {}", socket.local_addr()?);
            let mut buf = [0u8; 2048];
            loop {
                let (n, peer) = socket.recv_from(&mut buf)?;
                socket.send_to(&buf[..n], peer)?;
            }
        }
        Some("load") => {
            let count: u64 = args[3].parse().expect("COUNT");
            let window: u64 = args.get(4).and_then(|w| w.parse().ok()).unwrap_or(32);
            let socket = UdpSocket::bind("127.0.0.1:0")?;
            socket.connect(&args[2])?;
            socket.set_read_timeout(Some(Duration::from_secs(2)))?;
            // A SIP-sized datagram: the floor should move the same bytes a REGISTER does.
            let payload = vec![b'x'; 400];
            let mut buf = [0u8; 2048];
            let (mut sent, mut received, mut lost) = (0u64, 0u64, 0u64);
            while received + lost < count {
                while sent < count && sent - received - lost < window {
                    socket.send(&payload)?;
                    sent += 1;
                }
                match socket.recv(&mut buf) {
                    Ok(_) => received += 1,
                    Err(_) => lost += sent - received - lost,
                }
            }
            println!("echoed {received} lost {lost}");
            Ok(())
        }
        _ => {
            eprintln!("usage: udp_echo serve ADDR | udp_echo load ADDR COUNT [WINDOW]");
            std::process::exit(2);
        }
    }
}
