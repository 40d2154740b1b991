import type { Projection } from './projection';
import { summary } from './summary';
import { usersDirectory } from './usersDirectory';

export const builtInProjections: readonly Projection[] = [usersDirectory as Projection, summary as Projection];
