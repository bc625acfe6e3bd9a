// AWS Signature Version 4 with WebCrypto (SubtleCrypto), for the
// AppConfig API on this same origin.

const enc = new TextEncoder();

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(data) {
  return hex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? enc.encode(data) : data));
}

async function hmac(key, data) {
  const k = await crypto.subtle.importKey("raw", typeof key === "string" ? enc.encode(key) : key,
    { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}

// rfc3986 percent-encodes everything but unreserved characters.
export function rfc3986(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

// amzDate formats a Date as SigV4's basic ISO 8601 (20240102T030405Z).
export function amzDate(d) {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

// sign returns the headers to send: the given ones plus X-Amz-Date,
// X-Amz-Content-Sha256 and Authorization. path is the escaped path as it
// goes on the wire (SigV4 for services other than S3 escapes it again);
// query is a list of [name, value] pairs, unescaped.
export async function sign({ method, path, query = [], headers = {}, body = "" }, creds, host, now = new Date()) {
  const service = "appconfig";
  const date = amzDate(now);
  const day = date.slice(0, 8);
  const payload = await sha256Hex(body);
  const out = { ...headers, "X-Amz-Date": date, "X-Amz-Content-Sha256": payload };
  if (creds.sessionToken) out["X-Amz-Security-Token"] = creds.sessionToken;
  const lower = { host };
  for (const [k, v] of Object.entries(out)) lower[k.toLowerCase()] = String(v).trim().replace(/\s+/g, " ");
  const signed = Object.keys(lower).sort();
  const canonicalHeaders = signed.map((k) => `${k}:${lower[k]}\n`).join("");
  const canonicalURI = path.split("/").map(rfc3986).join("/");
  const canonicalQuery = query
    .map(([k, v]) => [rfc3986(k), rfc3986(String(v))])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonical = [method, canonicalURI, canonicalQuery, canonicalHeaders, signed.join(";"), payload].join("\n");
  const scope = `${day}/${creds.region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", date, scope, await sha256Hex(canonical)].join("\n");
  let key = await hmac("AWS4" + creds.secretAccessKey, day);
  for (const part of [creds.region, service, "aws4_request"]) key = await hmac(key, part);
  const signature = hex(await hmac(key, toSign));
  out.Authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${signature}`;
  return out;
}
