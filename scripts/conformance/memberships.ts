// The memberships the authorization matrix needs, made through the API: user B as a participant of user A's
// room (invited by A, accepted by B), then removed by A or gone by B's own leave; B as a member of A's community,
// then gone. Like auth.ts with credentials, the suite knows these few operations by path; the contract must
// have them, or the matrix's room and community rows cannot run (the report says so).
import type { ContractModel } from './contract.js';
import type { HttpClient } from './http.js';
import type { User } from './auth.js';

const PATHS = {
  invite: ['POST', '/api/v1/rooms/{room_id}/invitations'],
  accept: ['POST', '/api/v1/rooms/{room_id}/invitations/{invitation_id}/accept'],
  remove: ['DELETE', '/api/v1/rooms/{room_id}/participants/{participant_id}'],
  leaveRoom: ['POST', '/api/v1/rooms/{room_id}/leave'],
  join: ['POST', '/api/communities/{id}/join'],
  leaveCommunity: ['POST', '/api/communities/{id}/leave'],
} as const;

type Step = keyof typeof PATHS;

export class Memberships {
  constructor(
    private readonly contract: ContractModel,
    private readonly http: HttpClient,
  ) {}

  /** What the contract lacks of these operations (then the room and community rows do not run). */
  missing(): string[] {
    return Object.values(PATHS)
      .filter(([method, path]) => !this.contract.find(method, path))
      .map(([method, path]) => `${method} ${path}`);
  }

  /** Makes `who` a current participant of `owner`'s room; returns their participant id. */
  async joinRoom(roomId: string, owner: User, who: User): Promise<string> {
    const invitation = (await this.step(
      'invite',
      { room_id: roomId },
      owner,
      { inviteeKind: 'human', inviteeMembershipId: who.id },
      [201],
    )) as { id: string };
    const accepted = (await this.step(
      'accept',
      { room_id: roomId, invitation_id: invitation.id },
      who,
      undefined,
      [200],
    )) as { acceptedParticipantId: string };
    return accepted.acceptedParticipantId;
  }

  async removeFromRoom(roomId: string, owner: User, participantId: string): Promise<void> {
    await this.step('remove', { room_id: roomId, participant_id: participantId }, owner, undefined, [200]);
  }

  async leaveRoom(roomId: string, who: User): Promise<void> {
    await this.step('leaveRoom', { room_id: roomId }, who, undefined, [200]);
  }

  /** Makes `who` a member of the community (false when it charges more than they have: the row is skipped). */
  async joinCommunity(id: string, who: User): Promise<boolean> {
    return (await this.step('join', { id }, who, undefined, [200, 402])) !== undefined;
  }

  async leaveCommunity(id: string, who: User): Promise<void> {
    await this.step('leaveCommunity', { id }, who, undefined, [200]);
  }

  /** One step as `as`; throws unless it answers one of `ok` (a 402 answers undefined). */
  private async step(
    name: Step,
    path: Record<string, string>,
    as: User,
    body: unknown,
    ok: number[],
  ): Promise<unknown> {
    const [method, template] = PATHS[name];
    const target = template.replace(/\{([^}]+)\}/g, (_, param: string) => encodeURIComponent(path[param] ?? ''));
    const exchange = await this.http.send({
      method,
      target,
      headers: {
        Authorization: `Bearer ${as.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!ok.includes(exchange.status))
      throw new Error(
        `authorization matrix: ${method} ${target} as user ${as.label} answered ${exchange.status}: ${exchange.text.slice(0, 200)}`,
      );
    return exchange.status === 402 ? undefined : (exchange.json ?? null);
  }
}
