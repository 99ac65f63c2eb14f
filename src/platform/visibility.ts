// The visibility rule of owned resources (spaces, agent listings): public ones are visible to everyone, private
// ones only to their owner. Anyone else is told the resource does not exist (404), never that it is private.
export interface Owned {
  isPublic: boolean;
  ownerId: string;
}

export const isVisibleTo = (row: Owned, userId: string | undefined): boolean => row.isPublic || row.ownerId === userId;
