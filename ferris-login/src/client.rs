//! Who is on the other end: the client's address (believing `X-Forwarded-For` only from
//! `TRUSTED_PROXIES`), its coarse network, and a readable device from its user agent.

use std::net::IpAddr;

use actix_web::{http::header, HttpRequest};
use ipnet::IpNet;

/// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (`TRUSTED_PROXIES`:
/// addresses or CIDR blocks, comma-separated). Empty: nobody's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{entry}` is not an address or CIDR block"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the right-most
/// address in `X-Forwarded-For` that is not itself a trusted proxy (entries further left
/// are the client's own claims and prove nothing). Entries may carry a port, as some proxies
/// write them (`203.0.113.7:51234`, `[2001:db8::1]:443`); one entry that is no address at all
/// makes the whole header untrustworthy, and the peer is used.
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = canonical(req.peer_addr()?.ip());
    if !trusted.contains(peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all(header::X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|entry| forwarded_address(entry).map(canonical))
        .collect::<Option<_>>()
        .unwrap_or_default();
    Some(
        forwarded
            .iter()
            .rev()
            .find(|ip| !trusted.contains(**ip))
            .or(forwarded.first())
            .copied()
            .unwrap_or(peer),
    )
}

/// One `X-Forwarded-For` entry: an address, with or without a port (`1.2.3.4`, `1.2.3.4:80`,
/// `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:80`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<std::net::Ipv6Addr>()
                .ok()
                .map(IpAddr::V6)
        })
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The address's network, coarse enough to name no one: IPv4 /24, IPv6 /64.
pub fn network_of(ip: IpAddr) -> String {
    let ip = canonical(ip);
    let prefix = if ip.is_ipv4() { 24 } else { 64 };
    IpNet::new(ip, prefix)
        .map(|net| net.trunc().to_string())
        .unwrap_or_default()
}

/// A readable device for a user agent: "Firefox on Linux", "Safari on iPhone", or
/// "Unknown device".
pub fn device_of(user_agent: Option<&str>) -> String {
    let Some(parsed) = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua)) else {
        return "Unknown device".to_owned();
    };
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    match (known(parsed.name), known(parsed.os)) {
        (true, true) => format!("{} on {}", parsed.name, parsed.os),
        (true, false) => parsed.name.to_owned(),
        (false, true) => format!("A browser on {}", parsed.os),
        (false, false) => "Unknown device".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn request(peer: &str, forwarded: Option<&str>) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
        if let Some(f) = forwarded {
            req = req.insert_header((header::X_FORWARDED_FOR, f));
        }
        req.to_http_request()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        let proxy = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        let spoofed = request("203.0.113.7:5000", Some("198.51.100.1"));
        assert_eq!(client_ip(&spoofed, &none), "203.0.113.7".parse().ok());
        assert_eq!(client_ip(&spoofed, &proxy), "203.0.113.7".parse().ok());

        let proxied = request("10.1.2.3:5000", Some("1.1.1.1, 198.51.100.1, 10.9.9.9"));
        assert_eq!(
            client_ip(&proxied, &proxy),
            "198.51.100.1".parse().ok(),
            "the right-most untrusted hop, never the client's own claim further left"
        );
        let garbage = request("10.1.2.3:5000", Some("not-an-address"));
        assert_eq!(client_ip(&garbage, &proxy), "10.1.2.3".parse().ok());
    }

    #[test]
    fn forwarded_entries_with_ports_are_read_not_dropped() {
        let proxy = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let cases = [
            ("198.51.100.1:51234", "198.51.100.1"),
            ("198.51.100.1:51234, 10.9.9.9:80", "198.51.100.1"),
            ("[2001:db8::7]:443", "2001:db8::7"),
            ("[2001:db8::7]", "2001:db8::7"),
            ("2001:db8::7", "2001:db8::7"),
            ("[::ffff:192.0.2.9]:8080", "192.0.2.9"),
        ];
        for (header, client) in cases {
            let req = request("10.1.2.3:5000", Some(header));
            assert_eq!(client_ip(&req, &proxy), client.parse().ok(), "{header}");
        }
        for garbage in ["198.51.100.1:port", "[2001:db8::7", "2001:db8::7]:80", "a:b:c"] {
            let req = request("10.1.2.3:5000", Some(garbage));
            assert_eq!(
                client_ip(&req, &proxy),
                "10.1.2.3".parse().ok(),
                "{garbage}"
            );
        }
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_blocks() {
        assert!(!TrustedProxies::parse("")
            .unwrap()
            .contains("127.0.0.1".parse().unwrap()));
        let parsed = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8, fd00::/8").unwrap();
        assert!(parsed.contains("10.200.0.1".parse().unwrap()));
        assert!(parsed.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!parsed.contains("127.0.0.2".parse().unwrap()));
        assert!(TrustedProxies::parse("10.0.0.0/40").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
    }

    #[test]
    fn networks_are_coarse() {
        assert_eq!(
            network_of("203.0.113.77".parse().unwrap()),
            "203.0.113.0/24"
        );
        assert_eq!(
            network_of("::ffff:192.0.2.9".parse().unwrap()),
            "192.0.2.0/24"
        );
        assert_eq!(
            network_of("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
    }

    #[test]
    fn devices_read_like_people_say_them() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device_of(Some(firefox)), "Firefox on Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(device_of(Some(iphone)), "Safari on iPhone");
        assert_eq!(device_of(Some("curl/8.5.0")), "HTTP Library");
        assert_eq!(device_of(None), "Unknown device");
        assert_eq!(device_of(Some("")), "Unknown device");
    }
}
