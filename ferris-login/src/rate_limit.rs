//! Rate limits per client address on the routes anyone can call that cost a provider call or
//! a database write: login, the callback and back-channel logout. `actix-governor` (GCRA):
//! `RATE_LIMIT_PER_MINUTE` requests a minute per address on each route, with short bursts;
//! over the limit, 429 JSON `rate_limited` with `Retry-After`. The address is the peer's, or,
//! behind `TRUSTED_PROXIES`, the one they forwarded (`client::client_ip`). An IPv6 client
//! counts by its /64 (one subscriber's network, whose addresses it can rotate through at
//! will); an IPv4 client by its address.

use std::net::{IpAddr, Ipv6Addr};

use actix_governor::{
    governor::{clock::QuantaInstant, middleware::NoOpMiddleware, NotUntil},
    Governor, GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
};
use actix_web::{
    dev::ServiceRequest, http::header, middleware::Condition, HttpResponse, HttpResponseBuilder,
};

use crate::{client::TrustedProxies, error::ApiError};

/// The client address a request counts against.
#[derive(Debug, Clone)]
pub struct ClientAddress {
    trusted: TrustedProxies,
}

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, Self::KeyExtractionError> {
        crate::client::client_ip(req.request(), &self.trusted)
            .map(bucket_of)
            .ok_or_else(|| SimpleKeyExtractionError::new("no client address"))
    }

    fn exceed_rate_limit_response(
        &self,
        _negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        crate::metrics::rate_limited();
        // `Retry-After` is already set by the middleware.
        response
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(ApiError::RateLimited.body())
    }
}

/// The bucket an address counts in: an IPv4 address itself, an IPv6 address's /64.
pub fn bucket_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !u128::from(u64::MAX);
            IpAddr::V6(Ipv6Addr::from(network))
        }
        v4 => v4,
    }
}

type Config = GovernorConfig<ClientAddress, NoOpMiddleware<QuantaInstant>>;

/// The middleware that limits one route.
pub type Limit = Condition<Governor<ClientAddress, NoOpMiddleware<QuantaInstant>>>;

/// The limits, built once at start-up and shared by every worker: one count per address and
/// route.
#[derive(Clone)]
pub struct RateLimits {
    enabled: bool,
    login: Config,
    callback: Config,
    backchannel_logout: Config,
}

impl RateLimits {
    /// `per_minute` requests a minute per address and route (0: no limit), in bursts of up to
    /// a sixth of that (at least 5).
    pub fn new(per_minute: u32, trusted: &TrustedProxies) -> Self {
        let per_minute_u64 = u64::from(per_minute.max(1));
        let config = || {
            GovernorConfigBuilder::default()
                .requests_per_minute(per_minute_u64)
                .burst_size((per_minute.max(1) / 6).max(5))
                .key_extractor(ClientAddress {
                    trusted: trusted.clone(),
                })
                .finish()
                .expect("a positive period and burst size")
        };
        Self {
            enabled: per_minute > 0,
            login: config(),
            callback: config(),
            backchannel_logout: config(),
        }
    }

    fn limit(&self, config: &Config) -> Limit {
        Condition::new(self.enabled, Governor::new(config))
    }

    pub fn login(&self) -> Limit {
        self.limit(&self.login)
    }

    pub fn callback(&self) -> Limit {
        self.limit(&self.callback)
    }

    pub fn backchannel_logout(&self) -> Limit {
        self.limit(&self.backchannel_logout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(ip: &str) -> IpAddr {
        bucket_of(ip.parse().unwrap())
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_and_an_ipv4_client_by_its_address() {
        assert_eq!(bucket("2001:db8:1:2::1"), bucket("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        assert_eq!(bucket("2001:db8:1:2:aaaa::9"), bucket("2001:db8:1:2::"));
        assert_ne!(bucket("2001:db8:1:2::1"), bucket("2001:db8:1:3::1"));
        assert_eq!(bucket("2001:db8:1:2::1"), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_eq!(bucket("198.51.100.7"), "198.51.100.7".parse::<IpAddr>().unwrap());
        assert_ne!(bucket("198.51.100.7"), bucket("198.51.100.8"));
    }
}
