// The AWS Step Functions API (POST / with X-Amz-Target) and the console's own read endpoints.

// With console login, every write carries the session's CSRF token; a lost session goes to the login page.

export class ApiError extends Error {
  constructor(code, message) { super(message); this.code = code; }
}

let current = null;

/** Who is logged in: { login, user, role, csrf } (login false: the console is open). */
export function session() {
  if (!current) {
    current = fetch('/console/api/session').then((r) => r.json()).catch(() => ({ login: false, csrf: null }));
  }
  return current;
}

async function writeHeaders(headers) {
  const { csrf } = await session();
  return csrf ? { ...headers, 'X-Stepforge-Csrf': csrf } : headers;
}

function codeOf(body) {
  return String(body.__type || body.error || 'Error').split('#').pop();
}

function loginAgain(code) {
  if (code === 'MissingAuthenticationTokenException') {
    location.assign(`/console/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
}

export async function aws(operation, params = {}) {
  const response = await fetch('/', {
    method: 'POST',
    headers: await writeHeaders({
      'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `AWSStepFunctions.${operation}`,
    }),
    body: JSON.stringify(params),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const code = codeOf(body);
    loginAgain(code);
    throw new ApiError(code, body.message || `${operation} failed (${response.status})`);
  }
  return body;
}

export async function get(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null));
  const response = await fetch(`/console/api/${path}?${query}`);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    loginAgain(codeOf(body));
    throw new ApiError(codeOf(body), body.message || `${path} failed`);
  }
  return body;
}

export async function post(path, payload) {
  const response = await fetch(`/console/api/${path}`, {
    method: 'POST', headers: await writeHeaders({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    loginAgain(codeOf(body));
    throw new ApiError(codeOf(body), body.message || `${path} failed`);
  }
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
