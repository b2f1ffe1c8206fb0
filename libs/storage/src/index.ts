export { ObjectStore, type ObjectStoreConfig, type StoredObject } from './object-store.js';
export { ArtifactUpload } from './artifact-upload.js';
