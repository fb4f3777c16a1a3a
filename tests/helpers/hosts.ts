/** The hosts the outside review wrote into mailbox settings: loopback and the metadata service. */
export const reviewHosts = [
  "127.0.0.1",
  "localhost",
  "0.0.0.0",
  "2130706433",
  "0x7f000001",
  "127.1",
  "169.254.169.254",
];

/** Hosts an admin could write that all mean an internal address. */
export const internalHosts = [
  ...reviewHosts,
  "0177.0.0.1",
  "[::1]",
  "::1",
  "[::ffff:127.0.0.1]",
  "::ffff:7f00:1",
  "[::]",
  "10.0.0.8",
  "172.16.4.4",
  "192.168.1.1",
  "100.64.0.1",
  "100.100.100.200",
  "fd00:ec2::254",
  "fc00::1",
  "fe80::1",
  "224.0.0.1",
  "ff02::1",
  "255.255.255.255",
  "240.0.0.1",
  "192.0.0.192",
  "64:ff9b::7f00:1",
];
