/**
 * `scanning`: the reference messenger plus client-side scanning, as the proposals since 2021
 * have it (Apple's CSAM detection; the EU regulation to prevent and combat child sexual abuse,
 * "chat control"; UK Online Safety Act 2023 s.122 notices). Every client ships a match list
 * the provider distributes on an authority's behalf and may change at any time; each outgoing
 * message is fingerprinted (MinHash over word shingles) and matched before it is encrypted.
 * Reports follow Apple's threshold design (Bhowmick et al., "The Apple PSI System", 2021): a
 * voucher per match, opened only once an account passes the threshold. `scanningPerMatch`
 * reports every match with its content, as the EU proposal does. The encryption is the
 * reference's, untouched: whoever writes the list reads what it matches.
 */
import type { KeyUpload } from '../harness/provider/api.ts';
import { ScanningClient, unwrapScanned } from './scanning/client.ts';
import { fingerprint } from './scanning/fingerprint.ts';
import { openReports, type ReportMode } from './scanning/reports.ts';
import { reconstructSignalDevice } from './signal/quantum.ts';
import { SIGNAL_CLAIMS } from './signal.ts';
import type { Claim, ClientContext, Design, ScanningSide } from './types.ts';

/** Matches from one account before the authority can open any of its vouchers (Apple announced 30; a scenario is shorter). */
export const VOUCHER_THRESHOLD = 3;

/** As `signal`; confidentiality is not claimed against whoever controls the list. */
export const SCANNING_CLAIMS: readonly Claim[] = SIGNAL_CLAIMS.map((claim) =>
  claim.property === 'confidentiality' ? { ...claim, adversaries: claim.adversaries.filter((a) => a !== 'list-controller') } : claim,
);

function scanningSide(mode: ReportMode): ScanningSide {
  return {
    fingerprint,
    reportIn(envelope) {
      try {
        return unwrapScanned(envelope.body).report;
      } catch {
        return null;
      }
    },
    openReports: (crypto, key, reports) => openReports(crypto, key, mode, reports),
  };
}

function scanningDesign(name: string, description: string, mode: ReportMode): Design {
  return {
    name,
    description,
    claims: SCANNING_CLAIMS,
    scanning: scanningSide(mode),
    createClient: (context: ClientContext) => new ScanningClient(context, mode),
    restoreClient: (context: ClientContext, image: Uint8Array) => new ScanningClient(context, mode).restore(image),
    reconstructDevice: (context: ClientContext, upload: KeyUpload, privateKeyOf) => reconstructSignalDevice(new ScanningClient(context, mode), upload, privateKeyOf),
  };
}

export const scanning = scanningDesign(
  'scanning',
  `signal plus client-side scanning against a provider-distributed match list; threshold vouchers (Apple PSI, 2021; ${VOUCHER_THRESHOLD} matches)`,
  { kind: 'threshold', threshold: VOUCHER_THRESHOLD },
);

export const scanningPerMatch = scanningDesign(
  'scanning-eu',
  'signal plus client-side scanning against a provider-distributed match list; every match reported with its content (EU proposal, 2022)',
  { kind: 'each' },
);
