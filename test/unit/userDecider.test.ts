import { userDecider, type UserEvent } from '../../src/core/domain/user';
import { given } from '../builders/givenWhenThen';

const created: UserEvent = { type: 'UserCreated', data: { userId: 'u1', name: 'Ada' } };
const deactivated: UserEvent = { type: 'UserDeactivated', data: { userId: 'u1' } };

describe('User decider', () => {
  describe('CreateUser', () => {
    it('creates a user that does not exist yet', () =>
      given(userDecider)
        .when({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada' } })
        .then([created]));
    it('trims the name', () =>
      given(userDecider)
        .when({ type: 'CreateUser', data: { userId: 'u1', name: '  Ada ' } })
        .then([created]));
    it('rejects an id that already exists, as the seed write model does', () =>
      given(userDecider, [created])
        .when({ type: 'CreateUser', data: { userId: 'u1', name: 'Bob' } })
        .thenRejects('IllegalStateError', /u1 already exists/));
    it('rejects an empty name', () =>
      given(userDecider)
        .when({ type: 'CreateUser', data: { userId: 'u1', name: '   ' } })
        .thenRejects('ValidationError', /cannot be empty/));
    it('rejects a name that is too long', () =>
      given(userDecider)
        .when({ type: 'CreateUser', data: { userId: 'u1', name: 'x'.repeat(101) } })
        .thenRejects('ValidationError', /at most 100/));
    it('rejects a malformed user id', () =>
      given(userDecider)
        .when({ type: 'CreateUser', data: { userId: 'a b', name: 'Ada' } })
        .thenRejects('ValidationError', /not valid/));
    it('rejects a name with a line break', () =>
      given(userDecider)
        .when({ type: 'CreateUser', data: { userId: 'u1', name: 'Ada\nLovelace' } })
        .thenRejects('ValidationError', /control characters/));
  });

  describe('RenameUser', () => {
    it('renames an active user, recording the old name', () =>
      given(userDecider, [created])
        .when({ type: 'RenameUser', data: { userId: 'u1', name: 'Ada Lovelace' } })
        .then([{ type: 'UserRenamed', data: { userId: 'u1', oldName: 'Ada', name: 'Ada Lovelace' } }]));
    it('rejects renaming an unknown user', () =>
      given(userDecider)
        .when({ type: 'RenameUser', data: { userId: 'u1', name: 'X' } })
        .thenRejects('IllegalStateError', /does not exist/));
    it('rejects renaming a deactivated user', () =>
      given(userDecider, [created, deactivated])
        .when({ type: 'RenameUser', data: { userId: 'u1', name: 'X' } })
        .thenRejects('IllegalStateError', /deactivated/));
    it('rejects an empty new name', () =>
      given(userDecider, [created])
        .when({ type: 'RenameUser', data: { userId: 'u1', name: '' } })
        .thenRejects('ValidationError', /cannot be empty/));
    it('rejects a rename to the same name', () =>
      given(userDecider, [created])
        .when({ type: 'RenameUser', data: { userId: 'u1', name: 'Ada' } })
        .thenRejects('IllegalStateError', /already named/));
  });

  describe('DeactivateUser', () => {
    it('deactivates an active user', () =>
      given(userDecider, [created])
        .when({ type: 'DeactivateUser', data: { userId: 'u1' } })
        .then([deactivated]));
    it('keeps a reason when one is given', () =>
      given(userDecider, [created])
        .when({ type: 'DeactivateUser', data: { userId: 'u1', reason: ' left ' } })
        .then([{ type: 'UserDeactivated', data: { userId: 'u1', reason: 'left' } }]));
    it('rejects deactivating an unknown user', () =>
      given(userDecider)
        .when({ type: 'DeactivateUser', data: { userId: 'u1' } })
        .thenRejects('IllegalStateError', /does not exist/));
    it('rejects deactivating twice', () =>
      given(userDecider, [created, deactivated])
        .when({ type: 'DeactivateUser', data: { userId: 'u1' } })
        .thenRejects('IllegalStateError', /already deactivated/));
  });
});
