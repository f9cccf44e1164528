// Tests read JSON answers whose shape each assertion checks; let them index into it freely.
declare global {
  interface Response {
    // biome-ignore lint/suspicious/noExplicitAny: assertions check the shape
    json(): Promise<any>;
  }
}

export {};
