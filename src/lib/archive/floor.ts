// The bench's floor: unzip the same members and JSON.parse each whole.
export async function floorParse(zip: Blob): Promise<{ tweets: number; bytes: number }> {
  void zip;
  throw new Error('not implemented');
}
