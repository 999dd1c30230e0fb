// moderate.mjs calls aup's POST /v1/moderations through the official OpenAI
// JavaScript client, unchanged but for its base URL and key, and prints what
// the client returned as one JSON object on stdout, for moderations_test.go
// to check. AUP_BASE_URL is aup's URL with /v1; AUP_KEY is a backend key.
// The texts are the ones moderations_test.go's screener knows.
import OpenAI from 'openai';

const baseURL = process.env.AUP_BASE_URL;
const apiKey = process.env.AUP_KEY;
if (!baseURL || !apiKey) {
  console.error('moderate.mjs: set AUP_BASE_URL and AUP_KEY');
  process.exit(2);
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000 });

// failure runs call, which must fail, and returns what the client's error
// says about it.
async function failure(call) {
  try {
    return { unexpected: await call() };
  } catch (err) {
    if (!(err instanceof OpenAI.APIError)) {
      throw err;
    }
    return {
      class: err.constructor.name,
      status: err.status,
      message: err.message,
      code: err.code ?? null,
      request_id: err.requestID ?? null,
    };
  }
}

const out = {
  string: await client.moderations.create({ input: 'I will hurt you' }),
  array: await client.moderations.create({
    model: 'omni-moderation-latest',
    input: ['hello there', 'cheap pills click here'],
  }),
  parts: await client.moderations.create({
    model: 'omni-moderation-latest',
    input: [
      { type: 'text', text: 'buy stolen cards' },
      { type: 'text', text: 'here' },
    ],
  }),
  errors: {
    empty: await failure(() => client.moderations.create({ input: '' })),
    image: await failure(() => client.moderations.create({
      input: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }],
    })),
    bad_key: await failure(() => new OpenAI({ baseURL, apiKey: 'not-a-key-0123456789', maxRetries: 0 })
      .moderations.create({ input: 'hello there' })),
  },
};
console.log(JSON.stringify(out));
