export { ObjectStore, type ObjectStoreConfig, type ReadOptions, type StoredObject } from './object-store.js';
export { ArtifactUpload } from './artifact-upload.js';
export {
  EnvelopeCipher,
  ObjectIntegrityError,
  type EncryptionSettings,
  type IntegrityFailure,
} from './envelope-cipher.js';
export { KeyUnwrapError, MasterKeyWrapper, type KeyWrapper } from './key-wrapper.js';
