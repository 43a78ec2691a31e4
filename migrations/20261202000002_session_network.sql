-- The network a session signed in from, coarse (IPv4 /24, IPv6 /64), for "my sessions".
ALTER TABLE sessions ADD COLUMN client_network TEXT;
