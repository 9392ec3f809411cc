// The AWS Step Functions API (POST / with X-Amz-Target) and the console's own read endpoints.

export class ApiError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

export async function aws(operation, params = {}) {
  const response = await fetch('/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `AWSStepFunctions.${operation}` },
    body: JSON.stringify(params),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = String(body.__type || 'Error').split('#').pop();
    throw new ApiError(code, body.message || `${operation} failed (${response.status})`);
  }
  return body;
}

export async function get(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null));
  const response = await fetch(`/console/api/${path}?${query}`);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(body.error || 'Error', body.message || `${path} failed`);
  return body;
}

export async function post(path, payload) {
  const response = await fetch(`/console/api/${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(body.error || 'Error', body.message || `${path} failed`);
  return body;
}

/** Every page of a paginated AWS list operation. */
export async function all(operation, params, key) {
  let items = [];
  let token;
  do {
    const body = await aws(operation, token ? { ...params, nextToken: token } : params);
    items = items.concat(body[key] || []);
    token = body.nextToken;
  } while (token);
  return items;
}
