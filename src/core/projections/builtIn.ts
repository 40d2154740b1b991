import { cartDetails } from './cartDetails';
import { productTotals } from './productTotals';
import type { Projection } from './projection';
import { summary } from './summary';
import { usersDirectory } from './usersDirectory';

export const builtInProjections: readonly Projection[] = [usersDirectory, summary, cartDetails, productTotals];
