import type * as X509 from '@peculiar/x509';
import fs from 'node:fs';
import path from 'node:path';
import { webcrypto } from 'node:crypto';

/** PEM files for a local mesh with TLS on: what AIMASS_TLS_CA, _CERT and _KEY name. */
export interface LocalTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

/**
 * A development certificate authority and one certificate signed by it for the loopback services
 * (SAN 127.0.0.1, ::1 and localhost), made once in `dir` and reused while valid. The CA's private
 * key is not kept: nothing can be signed with it later, and a new set replaces the old one when
 * the certificate nears its expiry. For production, bring certificates from your own CA.
 */
export async function localTls(dir: string): Promise<LocalTls> {
  const files: LocalTls = {
    ca: path.join(dir, 'ca.pem'),
    cert: path.join(dir, 'mesh.pem'),
    key: path.join(dir, 'mesh-key.pem'),
  };
  if (Object.values(files).every((f) => fs.existsSync(f))) {
    const x509 = await loadX509();
    const current = new x509.X509Certificate(fs.readFileSync(files.cert, 'utf8'));
    if (current.notAfter.getTime() - Date.now() > 7 * DAY_MS) return files;
  }
  const x509 = await loadX509();
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const now = Date.now();
  const caKeys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=aimass local development CA',
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    keys: caKeys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const meshKeys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=aimass mesh',
    issuer: ca.subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 825 * DAY_MS),
    signingKey: caKeys.privateKey,
    publicKey: meshKeys.publicKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', meshKeys.privateKey);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(files.ca, ca.toString('pem'));
  fs.writeFileSync(files.cert, cert.toString('pem'));
  fs.writeFileSync(files.key, x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), { mode: 0o600 });
  return files;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

/** @peculiar/x509 (and the reflect polyfill its dependency injection needs), loaded on first use. */
async function loadX509(): Promise<typeof X509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}
