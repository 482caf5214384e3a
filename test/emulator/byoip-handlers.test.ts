/**
 * The BYOIP handlers (the TypeScript source, with their real SDK clients) against the emulator: the whole
 * range lifecycle, with the pool id read from AWS's StatusMessage, the origin ASN seen through its `advertised`
 * association, the refusals of a deprovisioning explained, and a deprovisioned record lingering beside a new
 * provisioning. The lifecycle tests drive the bundled asset; these check the emulator's model and the handlers
 * agree on the wire.
 */
import { ALLOW_DOCUMENTATION_VALUES_ENV, associationPhysicalId } from '../../lib/private/contract';
import type { CustomResourceEvent } from '../../lambda/common';
import { isComplete, onEvent } from '../../lambda/index';
import {
  ADVERTISEMENT_ID,
  ASN,
  BYOIP_CIDR_ID,
  CIDR,
  IPAM_ID,
  STACK_ID,
  advertisementCreate,
  advertisementDelete,
  associationCreate,
  associationDelete,
  byoipCidrCreate,
  byoipCidrDelete,
  isCompleteEvent,
} from '../lambda/events';
import { Ec2Emulator } from './ec2-emulator';

const DAY = 24 * 60 * 60 * 1000;

let emulator: Ec2Emulator;
const savedEnv = { ...process.env };

beforeAll(async () => {
  emulator = new Ec2Emulator();
  await emulator.start();
  Object.assign(process.env, emulator.clientEnv(), { [ALLOW_DOCUMENTATION_VALUES_ENV]: 'true' });
});
afterAll(async () => {
  process.env = savedEnv;
  await emulator.stop();
});
beforeEach(() => {
  emulator.reset();
  emulator.setStackStatus(STACK_ID, 'UPDATE_IN_PROGRESS');
  // The handlers' JSON log lines.
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

/** Plays the Provider framework: onEvent, then isComplete until complete (the emulator's delays are 0). */
async function run(event: CustomResourceEvent): Promise<{ id: string; data?: Record<string, string> }> {
  const response = await onEvent(event);
  if (response.Next === undefined) {
    return { id: response.PhysicalResourceId, data: response.Data };
  }
  for (let poll = 0; poll < 5; poll++) {
    const result = await isComplete(isCompleteEvent(event, response));
    if (result.IsComplete) {
      return { id: response.PhysicalResourceId, data: result.Data };
    }
  }
  throw new Error('not complete after 5 polls');
}

const liveRange = () => emulator.snapshot().byoipCidrs.find((c) => c.cidr === CIDR);

test('a range from nothing to advertised with an own ASN, and back, each refusal explained', async () => {
  emulator.addAsn({ asn: ASN, ipamId: IPAM_ID });

  const range = await run(byoipCidrCreate());
  expect(range.id).toBe(BYOIP_CIDR_ID);
  expect(range.data).toEqual({ Cidr: CIDR, State: 'provisioned', StatusMessage: liveRange()?.statusMessage, PoolId: liveRange()?.statusMessage });
  expect(range.data?.PoolId).toMatch(/^ipv4pool-ec2-[0-9a-f]{17}$/);

  expect((await run(associationCreate())).data).toMatchObject({ State: 'associated' });
  const advertisement = await run(advertisementCreate());
  expect(advertisement).toEqual({ id: ADVERTISEMENT_ID, data: { Cidr: CIDR, Asn: ASN, State: 'advertised', StatusMessage: range.data?.PoolId } });
  expect(liveRange()).toMatchObject({ state: 'advertised', advertisedAsn: ASN });

  await expect(run(byoipCidrDelete())).rejects.toThrow(`Range: cannot deprovision BYOIP CIDR ${CIDR}: it is advertised. AWS does not deprovision an advertised range: withdraw it first (delete the ByoipCidrAdvertisement, or WithdrawByoipCidr), then delete again.`);
  await expect(run(associationDelete())).rejects.toThrow(/AWS refused to disassociate ASN 64496 from CIDR 203\.0\.113\.0\/24, which is advertised/);

  await run(advertisementDelete());
  expect(liveRange()).toMatchObject({ state: 'provisioned', advertisedAsn: undefined });
  await expect(run(byoipCidrDelete())).rejects.toThrow(`Range: cannot deprovision BYOIP CIDR ${CIDR}: it is still associated with ASN 64496 (associated). Delete the ByoasnCidrAssociation resources of these ASNs (or disassociate them with DisassociateIpamByoasn) first, then delete again.`);

  await run(associationDelete(associationPhysicalId(ASN, CIDR)));
  emulator.setAllocatedAddresses(CIDR, 2);
  await expect(run(byoipCidrDelete())).rejects.toThrow(`Range: AWS refused to deprovision BYOIP CIDR ${CIDR} (state provisioned), which is neither advertised nor associated with an ASN: addresses of the range may still be allocated (Elastic IPs, or an IPAM pool's allocations): release them first, then delete again. AWS said: IncorrectState: The CIDR ${CIDR} cannot be deprovisioned while 2 of its addresses are allocated (Elastic IP addresses or IPAM pool allocations). Release them first.`);

  emulator.setAllocatedAddresses(CIDR, 0);
  await expect(run(byoipCidrDelete())).resolves.toEqual({ id: BYOIP_CIDR_ID, data: undefined });
  expect(liveRange()?.state).toBe('deprovisioned');
  expect(emulator.calls().filter((c) => c.succeeded && /^(Provision|Deprovision|Advertise|Withdraw)ByoipCidr$/.test(c.action)).map((c) => c.action))
    .toEqual(['ProvisionByoipCidr', 'AdvertiseByoipCidr', 'WithdrawByoipCidr', 'DeprovisionByoipCidr']);
});

test('a range brought again beside its deprovisioned record gets the new pool id', async () => {
  emulator.addByoipCidr({ cidr: CIDR, state: 'deprovisioned', statusMessage: 'ipv4pool-ec2-00000000000000001' });

  const range = await run(byoipCidrCreate());

  expect(emulator.lingeringRecords().byoipCidrs).toEqual([expect.objectContaining({ state: 'deprovisioned', statusMessage: 'ipv4pool-ec2-00000000000000001' })]);
  expect(range.data?.PoolId).toBe(liveRange()?.statusMessage);
  expect(range.data?.PoolId).not.toBe('ipv4pool-ec2-00000000000000001');
  await expect(run(byoipCidrDelete())).resolves.toEqual({ id: BYOIP_CIDR_ID, data: undefined });
});

test('with waitForProvisioning false, a provisioning that takes days completes once accepted, without a pool id yet', async () => {
  emulator.configure({ delays: { provisionCidr: 3 * DAY } });

  await expect(run(byoipCidrCreate({ WaitForProvisioning: 'false' }))).resolves.toEqual({
    id: BYOIP_CIDR_ID, data: { Cidr: CIDR, State: 'pending-provision', StatusMessage: '', PoolId: '' },
  });
  emulator.configure({ delays: { provisionCidr: 0 } });
});

test("an advertisement with Amazon's ASN needs no association, and is withdrawn on delete", async () => {
  emulator.addByoipCidr({ cidr: CIDR });

  await expect(run(advertisementCreate({ Asn: 'AWS' }))).resolves.toMatchObject({ data: { Asn: 'AWS', State: 'advertised' } });
  await expect(run(advertisementCreate())).rejects.toThrow(`Advert: CIDR ${CIDR} is already advertised with Amazon's ASN, not with ASN 64496; it has one origin at a time. Withdraw it (WithdrawByoipCidr, or delete the ByoipCidrAdvertisement that advertises it) first, or advertise it with Amazon's ASN.`);
  // The other advertisement's delete (its create failed) leaves Amazon's in place.
  await run(advertisementDelete());
  expect(liveRange()?.state).toBe('advertised');
  await run(advertisementDelete(`${CIDR}|AWS`));
  expect(liveRange()?.state).toBe('provisioned');
});
