export default async function globalTeardown() {
  await globalThis.__fauxqs?.stop();
}
