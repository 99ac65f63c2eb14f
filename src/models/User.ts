import { Model } from 'objection';

export class User extends Model {
  static override tableName = 'users';
  id!: string;
  name!: string;
  email!: string;
  image!: string | null;
  passwordHash!: string;
  createdAt!: Date;
  updatedAt!: Date;
}
