-- Back-channel logout tokens already acted on (jti replay memory), kept until they expire.
CREATE TABLE backchannel_logout_jtis (
    issuer     TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX backchannel_logout_jtis_expires_at ON backchannel_logout_jtis (expires_at);
