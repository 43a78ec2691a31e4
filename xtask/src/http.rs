//! Just enough HTTP/1.1 to poll a health endpoint (no client library in xtask).

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    time::Duration,
};

use anyhow::{bail, Context, Result};

/// The status code of `GET http://{addr}{path}`.
pub fn get_status(addr: SocketAddr, path: &str) -> Result<u16> {
    let timeout = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: xtask\r\n\r\n"
    )?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head)?;
    parse_status(&head[..n])
}

fn parse_status(head: &[u8]) -> Result<u16> {
    let line = String::from_utf8_lossy(head);
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") => code
            .parse()
            .with_context(|| format!("bad status line `{}`", line.trim())),
        _ => bail!("not an HTTP response: `{}`", line.trim()),
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("binding a loopback port")?;
    Ok(listener.local_addr()?.port())
}

/// Whether something listens on `127.0.0.1:port`.
pub fn port_in_use(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n").unwrap(), 200);
        assert_eq!(parse_status(b"HTTP/1.1 503 Service").unwrap(), 503);
        assert!(parse_status(b"SSH-2.0-OpenSSH").is_err());
    }

    #[test]
    fn polls_a_real_listener() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 512];
            let _ = conn.read(&mut buf).unwrap();
            conn.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        });
        assert_eq!(get_status(addr, "/healthz").unwrap(), 204);
        server.join().unwrap();
    }

    #[test]
    fn sees_a_port_in_use() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        assert!(port_in_use(listener.local_addr().unwrap().port()));
    }
}
