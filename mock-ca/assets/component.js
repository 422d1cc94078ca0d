/*
 * mock-ca's enrollment component for the browser: the guide's ActiveX component (証明書発行
 * コンポーネント) as a modern browser can do it. Plain ES2020, no build step; it uses the vendored
 * node-forge (forge.min.js, beside this file) for the PKCS#10 request's structure and the PKCS#12
 * file, and the browser's WebCrypto for the key, the request's signature, SHA-1 / SHA-256 and
 * IndexedDB for keeping the key. node-forge is loaded when first needed (the CSR, made at the
 * client certificate's install; the PKCS#12; a kept certificate's check), not with every page:
 * 290 kB of JavaScript most pages never use.
 * It follows docs/protocol.md, as cert-client does; the two share no code.
 *
 * THE CONTRACT WITH THE PAGES (the server renders it; keep both sides in step):
 *
 *   <section id="component" data-step="1|2|3|refused" data-application="ap-0001"
 *            data-site-name="証明書発行サイト" data-step-one="/apply/ap-0001" ...>
 *     ... the step's own markup (below) ...
 *     <div id="component-status" aria-live="polite"></div>   where every message goes
 *   </section>
 *   <script src="/assets/component.js" defer></script>
 *
 *   data-step="2" (step 2) also: data-csp, data-key-algorithm ("RSA"), data-key-length ("2048"),
 *     data-issue ("/apply/{id}/issue"); inside: <code id="csp" class="component-fill">,
 *     <code id="key-length" class="component-fill"> (left empty by the server, filled in here),
 *     <button id="issue" hidden disabled> (offered here), and <div id="component-missing"
 *     data-catalogue-id="STEP2-CSP-HIDDEN"> (visible as rendered, with a <noscript>; hidden here
 *     when the component can run, its <p id="component-missing-why" hidden> filled in when not).
 *   data-step="3" (a resumed login) also: data-resumed, data-root-certificate, data-root-sha1,
 *     data-root-sha256, data-repository, data-key-algorithm, data-key-length, data-subject (JSON
 *     list of [attribute, value]), data-csr; inside: <button id="root-install" hidden disabled>,
 *     <button id="client-install" hidden disabled>, and the same #component-missing box.
 *   data-step="1" (step 1) and data-step="refused" (the STEP3-ONE-WAY and NO-VALID-REQUEST pages,
 *     with data-refusal="<id>"): nothing inside; the component looks for what this browser kept.
 *   Once its first look is over (the step set up, what this browser kept looked at, any message
 *   shown), the component sets data-ready="true" on the section: a driving program waits for it.
 *
 * What it adds to the page: every message is a <div class="component-message error|notice"
 * data-catalogue-id="ID"> with <p class="message"> (the guide's words), <p class="remedy">, then
 * <details> (support details: the id, English detail) and a link ステップ 1 に戻る. The guide's
 * dialogs are one <dialog id="component-dialog" data-dialog="issue|install-root|web-access"> with
 * <button id="dialog-yes">はい(Y)</button> and <button id="dialog-no">いいえ(N)</button>. The
 * passphrase form is <form id="p12-form"> with #p12-passphrase, #p12-passphrase-again and
 * #p12-download; then <button id="complete">OK</button> (step 3's OK: POST complete), and step 4 with
 * <a id="confirm"> (the confirmation site) and the import instructions (#import-help).
 *
 * On the wire: every request it makes carries `X-Enrollment-Component: web/<VERSION> (<platform>)`
 * and `Accept: application/json`. What it keeps, in IndexedDB database "mock-ca-enrollment",
 * store "pending" (one entry per key, keyPath "id", index "application"): the application id, the
 * site's origin and its issuing root's SHA-256 (entries of another root are ignored: a site
 * restarted on the same port numbers its applications anew), the key as PKCS#8 (DER), when it was made, the subject, the CSR and when it
 * was sent, then the certificate as it arrived, the root if accepted, when the PKCS#12 was made and
 * when the install was completed. The key is stored BEFORE the CSR leaves, the certificate BEFORE
 * anything else is done with it. The private key is never sent anywhere: it leaves the page only
 * inside the PKCS#12 file the person downloads, under the passphrase they typed.
 */
"use strict";

(() => {
  const VERSION = "1.0.0";
  const HEADER = "X-Enrollment-Component";
  const DB_NAME = "mock-ca-enrollment";
  const STORE = "pending";
  // PBKDF2 iterations of the PKCS#12's key bag and its MAC (node-forge computes both in JS).
  const P12_ITERATIONS = 100000;

  // The guide's words for what the component itself reports (fixtures/catalogue.toml).
  const MESSAGES = {
    "COMPONENT-UNAVAILABLE": {
      message: "ActiveX コンポーネントは・・・できません",
      remedy: "Microsoft Edge (Internet Explorer モード) の設定が行われていません。(「1.3. ブラウザの設定」を参照してください)",
      more: "このブラウザでは証明書発行コンポーネントが動作しません (Web Crypto API、IndexedDB のいずれかがありません)。最新の Microsoft Edge、Google Chrome、Firefox、Safari をお使いください。",
      detail: "the enrollment component cannot run here",
    },
    "CSR-GENERATION-FAILED": {
      message: "CSR の生成に失敗しました",
      remedy: "再度、URL にアクセスして、証明書発行サイトにログインを行い、インストールを完了してください",
      more: "ダイアログでは、必ず「はい」ボタンを選択してください。",
    },
    "ENROLL-CANCELLED": {
      message: "[-2147023673]・・・CX509Enrollment",
      remedy: "「1.3. ブラウザの設定」を参照してください。",
      more: "Web アクセスの確認で「いいえ」が選ばれたため、鍵も証明書要求も作っていません。再度、証明書発行サイトにログインを行い、インストールを再開することができます (Web アクセスの確認では「はい」を選んでください)。",
      detail: "the web access confirmation was answered no (HRESULT 0x800704C7, ERROR_CANCELLED)",
    },
    "REINSTALL-NOT-FOUND": {
      message: "unknown_error:-2146885628 証明書の状態を確認する必要があります。 確認サイトへアクセスしてください。",
      remedy: "「OK」ボタンで先に進み、証明書の存在が確認できればそのままご利用いただけます",
      more: "この申請の鍵はこのブラウザに保存されていません。証明書をインストール済みであれば、確認サイトで確認できます。別の PC やブラウザで発行の操作を行った場合は、再度、“更新・再発行”で申請いただく必要があります。",
      detail: "no key for this application in this browser's IndexedDB (CRYPT_E_NOT_FOUND, 0x80092004)",
    },
    "ROOT-MISMATCH": {
      message: "ルート CA 証明書の拇印が公開されている値と一致しません",
      remedy: "このルート CA 証明書はインストールしないでください。接続先が正しいサイトではない可能性があります。発行元にお問い合わせください。",
      detail: "the downloaded root's thumbprints differ from the repository page's or step 3's",
    },
    "KEY-UNSUPPORTED": {
      message: "指定された CSP / Key 長の鍵はこのブラウザでは生成できません",
      remedy: "発行元にお問い合わせください。サイトには何も送信していません。",
    },
    "NETWORK": {
      message: "サイトに接続できません (ページを表示できません)",
      remedy: "お使いの PC はインターネット接続できますか？ もしアクセスできない場合は、インターネット通信環境の問題ですので、貴社内のシステム管理者にご相談ください",
    },
  };

  // node-forge's URL, beside this script's (read while it runs: `currentScript` is gone after;
  // an inline copy of the script has no URL of its own).
  const ownUrl = document.currentScript && document.currentScript.src;
  const FORGE = ownUrl ? new URL("forge.min.js", ownUrl).href : new URL("/assets/forge.min.js", location.href).href;

  const section = document.getElementById("component");
  if (!section) return;
  const data = section.dataset;
  const status = document.getElementById("component-status");
  const application = data.application;
  const stepOne = data.stepOne || "/";
  const siteName = data.siteName || "証明書発行サイト";

  // ---------------------------------------------------------------------------------------
  // The page: small DOM helpers, messages, dialogs.

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === undefined || value === null) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function backLink() {
    return el("p", { class: "component-back" }, el("a", { href: stepOne, text: "ステップ 1 に戻る" }));
  }

  function heading(step) {
    const title = `${siteName}【ステップ ${step}】`;
    const h1 = document.querySelector("main h1");
    if (h1) h1.textContent = title;
    document.title = title;
  }

  /** Shows one message with its catalogue id: the guide's message and remedy first, then what
   * else helps, the support details folded, and the way back. Replaces what the status showed. */
  function show(id, { kind = "error", message, remedy, more, detail, extra, back = true } = {}) {
    const known = MESSAGES[id] || {};
    message = message || known.message || id;
    remedy = remedy === undefined ? known.remedy : remedy;
    more = more === undefined ? known.more : more;
    detail = detail || known.detail || "";
    const box = el(
      "div",
      { class: `component-message ${kind}`, "data-catalogue-id": id },
      el("p", { class: "message", text: message }),
      remedy ? el("p", { class: "remedy", text: remedy }) : null,
      more ? el("p", { class: "more", text: more }) : null,
      extra || null,
      el(
        "details",
        { class: "support" },
        el("summary", { text: "サポート用の情報 (support details)" }),
        el("p", { class: "id", text: id }),
        detail ? el("p", { class: "detail", text: detail }) : null,
        el("p", { class: "detail", text: `${HEADER}: ${declaration || "(not declared)"}` })
      ),
      // One way back is enough: the steps carry their own below the messages.
      back && !section.querySelector(":scope > .component-back") ? backLink() : null
    );
    status.replaceChildren(box);
    box.scrollIntoView({ block: "nearest" });
    return box;
  }

  function progress(text) {
    status.replaceChildren(el("p", { class: "component-progress", text }));
  }

  /** The guide's dialogs, in the page: resolves true for はい, false for いいえ (or Esc). */
  function ask(name, title, lines) {
    return new Promise((resolve) => {
      const dialog = el(
        "dialog",
        { id: "component-dialog", "data-dialog": name, "aria-labelledby": "component-dialog-title" },
        el("h2", { id: "component-dialog-title", text: title }),
        lines.map((line) =>
          typeof line === "string" ? el("p", { text: line }) : line
        ),
        el(
          "p",
          { class: "dialog-buttons" },
          el("button", { type: "button", id: "dialog-yes", text: "はい(Y)" }),
          " ",
          el("button", { type: "button", id: "dialog-no", text: "いいえ(N)" })
        )
      );
      const answer = (yes) => {
        dialog.close();
        dialog.remove();
        resolve(yes);
      };
      dialog.querySelector("#dialog-yes").addEventListener("click", () => answer(true));
      dialog.querySelector("#dialog-no").addEventListener("click", () => answer(false));
      dialog.addEventListener("cancel", (event) => {
        event.preventDefault();
        answer(false);
      });
      document.body.append(dialog);
      dialog.showModal();
      dialog.querySelector("#dialog-yes").focus();
    });
  }

  /** Runs `work` with `button` disabled; a button whose step is done stays disabled. */
  async function pressed(button, work) {
    button.disabled = true;
    let again = false;
    try {
      again = (await work()) === "again";
    } catch (error) {
      report(error);
    } finally {
      button.disabled = !again;
    }
  }

  // ---------------------------------------------------------------------------------------
  // The environment, and the site.

  let declaration = null;

  /** The platform the browser reports, as the site's supported list writes them. */
  async function platform() {
    const hints = navigator.userAgentData;
    const name = ((hints && hints.platform) || navigator.platform || "").toLowerCase();
    const agent = navigator.userAgent || "";
    if (name.startsWith("win")) {
      if (hints && hints.getHighEntropyValues) {
        try {
          const { platformVersion } = await hints.getHighEntropyValues(["platformVersion"]);
          const major = parseInt(platformVersion, 10);
          // Client hints: 13 and up is Windows 11, 1-10 Windows 10, 0 Windows 7, 8 or 8.1.
          if (major >= 13) return "windows 11";
          if (major >= 1) return "windows 10";
          if (major === 0) return "windows 8.1";
        } catch (_) {
          // Fall back on the user agent string.
        }
      }
      // Windows 10 and 11 both report NT 10.0: without client hints they cannot be told apart.
      if (/Windows NT 10\.0/.test(agent)) return "windows 10";
      if (/Windows NT 6\.3/.test(agent)) return "windows 8.1";
      if (/Windows NT 6\.2/.test(agent)) return "windows 8";
      if (/Windows NT 6\.1/.test(agent)) return "windows 7";
      return "windows";
    }
    if (name.startsWith("mac")) return /iPhone|iPad/.test(agent) ? "ios" : "macos";
    if (name.includes("android") || /Android/.test(agent)) return "android";
    if (name.includes("cros") || name.includes("chrome os")) return "chromeos";
    if (name.startsWith("linux") || name.includes("x11")) return "linux";
    if (/iPhone|iPad/.test(name)) return "ios";
    return name || "unknown";
  }

  function missingFeatures() {
    const missing = [];
    if (!(window.crypto && window.crypto.subtle)) missing.push("Web Crypto API");
    if (!window.indexedDB) missing.push("IndexedDB");
    if (typeof HTMLDialogElement !== "function") missing.push("<dialog>");
    return missing;
  }

  class Refused extends Error {
    constructor(error, status) {
      super(error.detail || error.id);
      this.error = error;
      this.status = status;
    }
  }

  class Failed extends Error {
    constructor(id, detail, options) {
      super(detail);
      this.id = id;
      this.options = options || {};
    }
  }

  /** One request to the site, as the component: JSON in and out. */
  async function call(method, url, body) {
    const headers = { Accept: "application/json", [HEADER]: declaration };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (error) {
      throw new Failed("NETWORK", `${method} ${url}: ${error}`);
    }
    let json = null;
    try {
      json = await response.json();
    } catch (_) {
      json = null;
    }
    if (!response.ok) {
      if (json && json.error) throw new Refused(json.error, response.status);
      throw new Failed("NETWORK", `${method} ${url}: HTTP ${response.status} without an answer in the error format`);
    }
    return json;
  }

  async function download(url) {
    let response;
    try {
      response = await fetch(url, { headers: { [HEADER]: declaration }, cache: "no-store" });
    } catch (error) {
      throw new Failed("NETWORK", `GET ${url}: ${error}`);
    }
    if (!response.ok) throw new Failed("NETWORK", `GET ${url}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Shows what went wrong: a site refusal with its own message, or the component's. */
  function report(error) {
    if (error instanceof Refused) {
      const e = error.error;
      const extra = [];
      if (Array.isArray(e.supported) && e.supported.length) {
        extra.push(el("p", { text: "対応する環境 (supported platforms):" }));
        extra.push(el("ul", { id: "supported" }, e.supported.map((p) => el("li", { text: platformName(p) }))));
        extra.push(el("p", { text: `このブラウザが報告した環境: ${platformName(declaredPlatform())}` }));
      }
      show(e.id, { message: e.message, remedy: e.remedy || null, more: null, detail: `HTTP ${error.status}: ${e.detail || ""}`, extra });
    } else if (error instanceof Failed) {
      show(error.id, { detail: error.message, ...error.options });
    } else {
      show("INTERNAL", {
        message: "証明書発行コンポーネントでエラーが発生しました",
        remedy: "再度、証明書発行サイトにログインを行い、インストールを再開してください。",
        detail: String(error && error.stack ? error.stack : error),
      });
    }
  }

  function declaredPlatform() {
    const match = /\((.*)\)/.exec(declaration || "");
    return match ? match[1] : "";
  }

  function platformName(platform) {
    const names = { "windows 10": "Windows 10", "windows 11": "Windows 11", linux: "Linux", macos: "macOS" };
    return names[platform] || platform;
  }

  // ---------------------------------------------------------------------------------------
  // Bytes, thumbprints, forge.

  function toBinary(bytes) {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    let out = "";
    for (let i = 0; i < view.length; i += 0x8000) {
      out += String.fromCharCode.apply(null, view.subarray(i, i + 0x8000));
    }
    return out;
  }

  function fromBinary(text) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  async function thumbprint(algorithm, der) {
    const digest = new Uint8Array(await crypto.subtle.digest(algorithm, der));
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
  }

  const same = (a, b) => typeof a === "string" && typeof b === "string" && a.toUpperCase() === b.toUpperCase();

  let forgeLoading = null;

  /** node-forge, loaded on the first call (a <script> beside this one): a site that cannot serve
   * it is a site the component cannot reach (NETWORK), and a later call tries again. */
  function needForge() {
    if (window.forge) return Promise.resolve();
    if (!forgeLoading) {
      forgeLoading = new Promise((resolve, reject) => {
        const script = el("script", { src: FORGE });
        script.addEventListener("load", () =>
          window.forge ? resolve() : reject(new Failed("NETWORK", `GET ${FORGE}: no node-forge in what was served`))
        );
        script.addEventListener("error", () => reject(new Failed("NETWORK", `GET ${FORGE}: not loaded`)));
        document.head.append(script);
      }).catch((error) => {
        forgeLoading = null;
        throw error;
      });
    }
    return forgeLoading;
  }

  /** needForge() begun now, awaited later: a failure is the awaiting code's, not unhandled. */
  function startForge() {
    const loading = needForge();
    loading.catch(() => {});
    return loading;
  }

  function forgeKey(pkcs8) {
    return forge.pki.privateKeyFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(toBinary(pkcs8))));
  }

  function commonName(subject) {
    const cn = (subject || []).find(([attribute]) => attribute === "CN");
    return cn ? cn[1] : "";
  }

  /** The PKCS#12's file name: the holder's name, safe for file systems. */
  function fileName(subject) {
    const name = commonName(subject)
      .normalize("NFC")
      .replace(/[\\/:*?"<>|\u0000-\u001f\u007f]/g, "_")
      .replace(/\s+/g, "_")
      .replace(/^[.]+/, "")
      .slice(0, 64);
    return `${name || "certificate"}.p12`;
  }

  // ---------------------------------------------------------------------------------------
  // What this browser keeps: IndexedDB.

  function database() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("application", "application");
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("IndexedDB is blocked by another tab"));
    });
  }

  /** Writes one entry; resolves once the transaction is committed. */
  async function keep(entry) {
    const db = await database();
    try {
      await new Promise((resolve, reject) => {
        const tx = db.transaction(STORE, "readwrite");
        tx.objectStore(STORE).put(entry);
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
      });
    } finally {
      db.close();
    }
  }

  /** This site's entries for this application under the issuing root `rootSha256`, newest
   * first. The root tells a site restarted on the same origin (a new root, application ids
   * counted from ap-0001 again) from the one whose application this is. */
  async function kept(rootSha256) {
    const db = await database();
    try {
      const all = await new Promise((resolve, reject) => {
        const request = db.transaction(STORE).objectStore(STORE).index("application").getAll(application);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      return all
        .filter((e) => e.site === location.origin && same(e.root, rootSha256))
        .sort((a, b) => (a.created < b.created ? 1 : -1));
    } finally {
      db.close();
    }
  }

  function randomId() {
    return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---------------------------------------------------------------------------------------
  // Step 2: the CSP and key length, and 発行.

  function stepTwo() {
    const length = parseInt(data.keyLength, 10);
    document.getElementById("csp").textContent = data.csp;
    document.getElementById("key-length").textContent = data.keyLength;
    const issue = document.getElementById("issue");
    if (!supportedKey(data.keyAlgorithm, length)) {
      show("KEY-UNSUPPORTED", { detail: `the site asks for ${data.keyAlgorithm} ${data.keyLength}; this component makes RSA keys of 2048 bits and more` });
      return;
    }
    issue.hidden = false;
    issue.disabled = false;
    wayBack();
    issue.addEventListener("click", () =>
      pressed(issue, async () => {
        const yes = await ask("issue", "証明書の発行", [
          "次の「CSP」及び「Key 長」で鍵を生成し、証明書を発行します。",
          `CSP: ${data.csp}`,
          `Key 長: ${data.keyLength}`,
          "証明書を発行しますか?",
        ]);
        if (!yes) {
          throw new Failed("CSR-GENERATION-FAILED", "発行 was answered いいえ: no key, no request");
        }
        progress("発行しています…");
        const three = await call("POST", data.issue);
        stepThree({
          resumed: false,
          root: three.root,
          repository: three.repository,
          key: three.key,
          subject: three.subject,
          csr: three.csr,
        });
      })
    );
  }

  function supportedKey(algorithm, length) {
    return String(algorithm).toUpperCase() === "RSA" && Number.isInteger(length) && length >= 2048 && length <= 8192 && length % 8 === 0;
  }

  // ---------------------------------------------------------------------------------------
  // Step 3: the root CA, Web アクセスの確認, the key, the CSR, the install.

  function rows(pairs) {
    return el(
      "table",
      {},
      pairs.map(([label, value]) => el("tr", {}, el("th", { text: label }), el("td", {}, el("code", { text: value }))))
    );
  }

  /** Step 3's view; the server renders the same for a resumed login. */
  function renderStepThree(three) {
    heading(3);
    const view = [
      el("h2", { text: "1. ルート証明書のインストール" }),
      el(
        "p",
        {},
        el("button", { type: "button", id: "root-install", text: "ルート CA 証明書のインストール" }),
        " ",
        el("a", { href: three.root.certificate, text: "ルート CA 証明書 (DER)" })
      ),
      rows([
        ["拇印 SHA-1", three.root.sha1],
        ["拇印 SHA-256", three.root.sha256],
      ]),
      el("p", {}, "【注釈】 発行元の認証局の情報であり、実際の値は以下に公開されています。 ", el("a", { href: three.repository, text: three.repository })),
      el("h2", { text: "2. クライアント証明書のインストール" }),
      el("p", {
        text: "【注意】 [クライアント証明書のインストール]ボタンを押下した後に操作を中断した場合には、インストールが不完全であっても証明書発行サイトに再ログインができなくなります。",
      }),
      el("p", {}, el("button", { type: "button", id: "client-install", disabled: true, text: "クライアント証明書のインストール" })),
    ];
    for (const child of Array.from(section.children)) {
      if (child !== status) child.remove();
    }
    status.before(...view);
    status.replaceChildren();
  }

  /** The way back, below the messages, on the steps the server rendered or the script drew. */
  function wayBack() {
    if (!section.querySelector(":scope > .component-back")) status.after(backLink());
  }

  function stepThree(three, rendered) {
    if (!rendered) renderStepThree(three);
    const ctx = { ...three, rootDer: null, rootAccepted: false };
    const rootButton = document.getElementById("root-install");
    const clientButton = document.getElementById("client-install");
    wayBack();
    rootButton.hidden = false;
    rootButton.disabled = false;
    clientButton.hidden = false;
    clientButton.disabled = true;
    if (three.resumed) {
      show("CANCEL-RESUME", {
        kind: "notice",
        message: "再度ログインしました。インストールを再開します。",
        remedy: "再度、証明書発行サイトにログインを行い、インストールを再開することができます",
        back: false,
      });
    }
    rootButton.addEventListener("click", () =>
      pressed(rootButton, async () => {
        const root = await verifiedRoot(three.root, three.repository);
        ctx.rootDer = root.der;
        ctx.rootAccepted = await askRoot(root);
        rootNotice(ctx.rootAccepted);
        clientButton.disabled = false;
      })
    );
    clientButton.addEventListener("click", () =>
      pressed(clientButton, async () => {
        const yes = await ask("web-access", "Web アクセスの確認", [
          `この Web サイトは、ユーザーの代わりにデジタル証明書の操作を実行します: ${location.origin}/`,
          "既知の Web サイトのみ、ユーザーの代わりにデジタル証明書の操作を実行するのを許可してください。",
          "この操作を許可しますか?",
        ]);
        if (!yes) throw new Failed("ENROLL-CANCELLED", "the web access confirmation was answered いいえ");
        await enroll(ctx);
      })
    );
  }

  /** The root as downloaded, checked against step 3's thumbprints and the repository page's. */
  async function verifiedRoot(reference, repositoryUrl) {
    progress("ルート CA 証明書を確認しています…");
    const repository = await call("GET", repositoryUrl || "/repository");
    const der = await download((reference && reference.certificate) || repository.root.certificate);
    const sha1 = await thumbprint("SHA-1", der);
    const sha256 = await thumbprint("SHA-256", der);
    const published = repository.root;
    const ok =
      same(sha1, published.sha1) &&
      same(sha256, published.sha256) &&
      (!reference || (same(sha1, reference.sha1) && same(sha256, reference.sha256)));
    if (!ok) {
      throw new Failed("ROOT-MISMATCH", `downloaded SHA-1 ${sha1}, SHA-256 ${sha256}; repository SHA-1 ${published.sha1}, SHA-256 ${published.sha256}` + (reference ? `; step 3 SHA-1 ${reference.sha1}, SHA-256 ${reference.sha256}` : ""), {
        extra: rows([
          ["ダウンロードした証明書の拇印 (SHA-1)", sha1],
          ["公開されている拇印 (SHA-1)", published.sha1],
        ]),
      });
    }
    return { der, sha1, sha256, subject: published.subject };
  }

  function askRoot(root) {
    status.replaceChildren();
    return ask("install-root", "セキュリティ警告", [
      `発行者が次であると主張する証明機関 (CA) から証明書をインストールしようとしています: ${root.subject}`,
      "証明書が実際に発行者からのものであるかどうかを検証できません。発行者に連絡して、次の番号を確認してください:",
      el("p", {}, "拇印 (sha1): ", el("code", { id: "dialog-sha1", text: root.sha1 })),
      "(この拇印は、リポジトリで公開されている値と一致することを確認済みです。)",
      "この証明書をインストールしますか?",
    ]);
  }

  function rootNotice(accepted) {
    if (accepted) {
      show("STEP3-ROOT-INSTALL", {
        kind: "notice",
        message: "ルート CA 証明書を確認しました。ダウンロードする PKCS#12 ファイルに含めます。",
        remedy: "次に、クライアント証明書のインストール ボタンを押します。",
        back: false,
      });
    } else {
      show("CHAIN-INCOMPLETE", {
        kind: "notice",
        message: "ルート CA 証明書はインストールしません。",
        remedy: "クライアント証明書はこのまま発行できます。証明書の表示で「情報不足のため、この証明書・・・」と表示されますが、ご使用自体に問題ありません。",
        back: false,
      });
    }
  }

  /** Signs `csr` as forge's `csr.sign(key, sha256)` does, with the browser's own RSA (WebCrypto):
   * RSASSA-PKCS1-v1_5 is deterministic, so the bytes are the same, made in a few milliseconds
   * where forge's JavaScript big numbers take ~100 ms of a core in a page just opened. */
  async function sign(csr, pkcs8) {
    const key = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
    csr.signatureOid = csr.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption;
    csr.certificationRequestInfo = forge.pki.getCertificationRequestInfo(csr);
    const info = fromBinary(forge.asn1.toDer(csr.certificationRequestInfo).getBytes());
    csr.signature = toBinary(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, info));
  }

  // What a person is told when the site could not be reached after the key was kept.
  const KEY_KEPT = "鍵はこのブラウザに保存されています。再度、証明書発行サイトにログインを行ってください。";

  /** The key (kept first), the CSR, the certificate (kept first), then the install. */
  async function enroll(ctx) {
    const length = ctx.key.length;
    if (!supportedKey(ctx.key.algorithm, length)) {
      throw new Failed("KEY-UNSUPPORTED", `the site asks for ${ctx.key.algorithm} ${length}`);
    }
    // Fetched while the key is made.
    const forgeReady = startForge();
    // A resumed login reuses a key this browser kept whose certificate never came.
    let entry = (await kept(ctx.root.sha256)).find((e) => !e.certificate && e.keyLength === length);
    if (entry) {
      progress("前回の申請で作った鍵がこのブラウザに残っています。この鍵で証明書要求を作ります…");
    } else {
      progress(`鍵 (RSA ${length} ビット) を生成しています…`);
      const pair = await crypto.subtle.generateKey(
        { name: "RSASSA-PKCS1-v1_5", modulusLength: length, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
        true,
        ["sign", "verify"]
      );
      const pkcs8 = await crypto.subtle.exportKey("pkcs8", pair.privateKey);
      entry = {
        id: randomId(),
        application,
        site: location.origin,
        root: ctx.root.sha256,
        created: new Date().toISOString(),
        keyAlgorithm: "RSA",
        keyLength: length,
        keyPkcs8: pkcs8,
      };
      // The key-first rule: nothing leaves before the key is kept.
      await keep(entry);
    }
    entry.subject = ctx.subject;
    try {
      await forgeReady;
    } catch (error) {
      if (error instanceof Failed) error.options.more = KEY_KEPT;
      throw error;
    }
    const key = forgeKey(entry.keyPkcs8);
    const csr = forge.pki.createCertificationRequest();
    csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    csr.setSubject(ctx.subject.map(([attribute, value]) => ({ shortName: attribute, value, valueTagClass: forge.asn1.Type.UTF8 })));
    await sign(csr, entry.keyPkcs8);
    entry.csr = forge.pki.certificationRequestToPem(csr);
    entry.csrSentAt = new Date().toISOString();
    await keep(entry);

    progress("証明書要求 (CSR) を送信しています…");
    let issued;
    try {
      issued = await call("POST", ctx.csr, { csr: entry.csr });
    } catch (error) {
      if (error instanceof Failed && error.id === "NETWORK") {
        error.options.more = KEY_KEPT;
      }
      throw error;
    }
    // The certificate is kept beside its key before anything else is done with it.
    entry.certificate = issued.certificate;
    entry.serial = issued.serial;
    entry.certificateAt = new Date().toISOString();
    entry.complete = issued.complete;
    if (ctx.rootAccepted && ctx.rootDer) entry.rootDer = ctx.rootDer.buffer.slice(0);
    await keep(entry);
    install(entry, { complete: issued.complete, issued });
  }

  // ---------------------------------------------------------------------------------------
  // The install: a PKCS#12 under a passphrase typed twice, downloaded; then OK (complete).

  function install(entry, { complete, issued, afterward }) {
    // The guide: do not go back until the install is complete (the site is one-way from the CSR).
    section.querySelector(":scope > .component-back")?.remove();
    const passphrase = el("input", { type: "password", id: "p12-passphrase", autocomplete: "new-password", required: true });
    const again = el("input", { type: "password", id: "p12-passphrase-again", autocomplete: "new-password", required: true });
    const problem = el("p", { id: "p12-error", class: "component-inline-error", hidden: true });
    const button = el("button", { type: "submit", id: "p12-download", text: "PKCS#12 ファイルを作成してダウンロード" });
    const name = fileName(entry.subject);
    const form = el(
      "form",
      { id: "p12-form" },
      el("p", {
        text: "ブラウザは証明書を PC の証明書ストアに直接インストールできないため、鍵と証明書 (とルート CA 証明書) を 1 つの PKCS#12 ファイル (.p12) にまとめてダウンロードします。ファイルを守るパスワードを決めて、2 回入力してください。このパスワードはファイルを取り込むときに必要です。サイトには送信されません。",
      }),
      el("p", {}, el("label", { for: "p12-passphrase", text: "ファイルのパスワード (ご自身で決めてください)" }), " ", passphrase),
      el("p", {}, el("label", { for: "p12-passphrase-again", text: "ファイルのパスワード (確認のため再入力)" }), " ", again),
      problem,
      el("p", {}, button, " ", el("span", { text: `ファイル名: ${name}` }))
    );
    const shown = show("STEP3-CLIENT-INSTALL", {
      kind: "notice",
      message: issued ? "証明書が発行されました。" : "このブラウザに保存されている証明書をインストールします。",
      remedy: "パスワードを 2 回入力して、PKCS#12 ファイルをダウンロードしてください。",
      more: null,
      back: false,
      detail: `serial ${entry.serial}; key kept in IndexedDB ${DB_NAME}/${STORE}/${entry.id}`,
      extra: [
        issued
          ? rows([
              ["シリアル番号", issued.serial],
              ["有効期間 (開始)", jaDate(issued.not_before)],
              ["有効期間 (終了)", jaDate(issued.not_after)],
            ])
          : null,
        form,
      ],
      back: !complete,
    });
    passphrase.focus();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      problem.hidden = true;
      if (!passphrase.value) {
        problem.textContent = "パスワードを入力してください。";
        problem.hidden = false;
        return;
      }
      if (passphrase.value !== again.value) {
        problem.textContent = "2 つのパスワードが一致しません。もう一度入力してください。";
        problem.hidden = false;
        return;
      }
      pressed(button, async () => {
        progressInline(shown, "PKCS#12 ファイルを作成しています…");
        // Let the page paint before forge's PBKDF2 takes the thread.
        await Promise.all([needForge(), new Promise((resolve) => setTimeout(resolve, 50))]);
        const bytes = pkcs12(entry, passphrase.value);
        passphrase.value = "";
        again.value = "";
        save(bytes, name);
        entry.exportedAt = new Date().toISOString();
        await keep(entry);
        form.hidden = true;
        if (complete) await offerComplete(shown, entry, complete, name);
        else await finishedWithoutComplete(entry, name, afterward);
      });
    });
  }

  function progressInline(box, text) {
    let line = box.querySelector(".component-progress");
    if (!line) {
      line = el("p", { class: "component-progress" });
      box.querySelector("details").before(line);
    }
    line.textContent = text;
  }

  /** Key, certificate and (if accepted) the root: the key bag PBES2 (PBKDF2-HMAC-SHA256,
   * AES-256-CBC), the MAC HMAC-SHA1 (the only one node-forge makes), both 100,000 iterations. */
  function pkcs12(entry, passphrase) {
    const key = forgeKey(entry.keyPkcs8);
    const certificates = [forge.pki.certificateFromPem(entry.certificate)];
    if (entry.rootDer) {
      certificates.push(forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(toBinary(entry.rootDer)))));
    }
    const asn1 = forge.pkcs12.toPkcs12Asn1(key, certificates, passphrase, {
      algorithm: "aes256",
      prfAlgorithm: "sha256",
      count: P12_ITERATIONS,
      friendlyName: commonName(entry.subject) || "certificate",
      generateLocalKeyId: true,
    });
    return fromBinary(forge.asn1.toDer(asn1).getBytes());
  }

  function save(bytes, name) {
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/x-pkcs12" }));
    const link = el("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  /** Step 3's OK: the install is finished; POST complete, then step 4. */
  function offerComplete(box, entry, complete, name) {
    const ok = el("button", { type: "button", id: "complete", text: "OK" });
    const line = box.querySelector(".component-progress");
    if (line) line.textContent = `PKCS#12 ファイル (${name}) をダウンロードしました。OK ボタンを押します。`;
    box.querySelector("details").before(el("p", {}, ok));
    ok.focus();
    ok.addEventListener("click", () =>
      pressed(ok, async () => {
        progress("インストールの完了をサイトに知らせています…");
        const four = await call("POST", complete);
        entry.completedAt = new Date().toISOString();
        await keep(entry);
        stepFour(new URL(four.confirm, location.href).href, name, entry);
      })
    );
  }

  async function finishedWithoutComplete(entry, name, afterward) {
    const confirm = await confirmationSite();
    stepFourView(confirm, name, entry, afterward);
  }

  /** The confirmation site: `GET /`'s `confirm` where the site names it, else /confirm here. */
  async function confirmationSite() {
    try {
      const top = await call("GET", "/");
      if (top && typeof top.confirm === "string") return new URL(top.confirm, location.href).href;
    } catch (_) {
      // The default below.
    }
    return new URL("/confirm", location.href).href;
  }

  // ---------------------------------------------------------------------------------------
  // Step 4: the confirmation site, and how to import the file.

  function stepFour(confirm, name, entry) {
    heading(4);
    stepFourView(confirm, name, entry, "completed");
  }

  function stepFourView(confirm, name, entry, how) {
    for (const child of Array.from(section.children)) {
      if (child !== status) child.remove();
    }
    const command = `pk12util -d sql:$HOME/.pki/nssdb -i ${name}`;
    const view = [
      how === "completed"
        ? el("p", { "data-catalogue-id": "STEP4-CONFIRM", text: "正しくインストールされているか確認します。ダウンロードした PKCS#12 ファイルを取り込んでから、次の URL を押します。" })
        : el("p", { "data-catalogue-id": "CANCEL-RESUME", text: "ダウンロードした PKCS#12 ファイルを取り込んでから、次の URL で証明書を確認してください。" }),
      el("p", {}, el("a", { id: "confirm", href: confirm, text: "証明書確認ページ" }), " ", el("code", { text: confirm })),
      el("p", { text: "証明書の選択を求められたら、インストールした証明書を選択し、OK ボタンを押します。" }),
      entry.rootDer
        ? null
        : el("p", { "data-catalogue-id": "CHAIN-INCOMPLETE", text: "ルート CA 証明書は含まれていません: 証明書の表示で「情報不足のため、この証明書・・・」と表示されますが、ご使用自体に問題ありません。" }),
      el(
        "section",
        { id: "import-help" },
        el("h2", { text: `PKCS#12 ファイル (${name}) の取り込み方` }),
        el("h3", { text: "Windows (Microsoft Edge、Google Chrome)" }),
        el("p", { text: "ダウンロードしたファイルをダブルクリックし、証明書のインポート ウィザードで「現在のユーザー」を選び、決めたパスワードを入力して、「証明書の種類に基づいて、自動的に証明書ストアを選択する」のまま「完了」を押します。ルート CA 証明書の確認が表示されたら「はい」を押します。" }),
        el("h3", { text: "macOS (Safari、Google Chrome)" }),
        el("p", { text: "ダウンロードしたファイルをダブルクリックし、キーチェーンアクセスで「ログイン」キーチェーンを選んで、決めたパスワードを入力します。" }),
        el("h3", { text: "Linux (Chromium、Google Chrome)" }),
        el("p", { text: "端末で次のコマンドを実行し、決めたパスワードを入力します (libnss3-tools パッケージの pk12util)。または、設定 → プライバシーとセキュリティ → セキュリティ → 証明書の管理 → 「証明書」タブの「インポート」から取り込みます。" }),
        el("pre", {}, el("code", { id: "import-nss", text: command })),
        el("h3", { text: "Firefox (各 OS)" }),
        el("p", { text: "設定 → プライバシーとセキュリティ → 証明書 → 「証明書を表示」→「あなたの証明書」タブ →「インポート」でファイルを選び、決めたパスワードを入力します。" })
      ),
      how === "completed"
        ? el("p", { "data-catalogue-id": "SITE-ONE-TIME", text: "【注意】 インストールが完了した場合には、証明書発行サイトは無効となり、ログインできません。" })
        : null,
      el("p", {}, el("button", { type: "button", id: "p12-again", text: "PKCS#12 ファイルをもう一度作成する" })),
    ];
    status.before(...view.filter(Boolean));
    status.replaceChildren();
    document.getElementById("p12-again").addEventListener("click", () => install(entry, { complete: null, afterward: how }));
  }

  // ---------------------------------------------------------------------------------------
  // Step 1 and the refusal pages: what this browser kept for the application (CANCEL-RESUME).

  async function resume() {
    const repository = await call("GET", "/repository");
    const entries = await kept(repository.root.sha256);
    const withCertificate = entries.find((e) => e.certificate);
    const refusal = data.refusal;
    if (withCertificate) {
      const finish = el("button", { type: "button", id: "resume-install", text: withCertificate.completedAt ? "PKCS#12 ファイルをもう一度作成する" : "インストールを完了する" });
      const box = show("CANCEL-RESUME", {
        kind: "notice",
        message: withCertificate.completedAt
          ? "この申請の証明書と鍵が、このブラウザに保存されています。"
          : "前回のインストールは途中で中断されましたが、この申請の証明書と鍵がこのブラウザに保存されています。",
        remedy: withCertificate.completedAt
          ? "取り込んだ PKCS#12 ファイルをなくした場合は、ここでもう一度作成できます。"
          : data.refusal === "STEP3-ONE-WAY"
            ? "ただし、このブラウザには前回の申請の証明書と鍵が残っているため、申請をやり直さずに、このままインストールを完了できます (ログインは不要です)。"
            : "このままインストールを完了することができます (ログインは不要です)。",
        more: null,
        detail: `serial ${withCertificate.serial}, certificate received ${withCertificate.certificateAt}`,
        extra: el("p", {}, finish),
        // Step 1 has its form, a refusal page its own way on (the confirmation site).
        back: false,
      });
      box.querySelector("#resume-install").addEventListener("click", () =>
        pressed(finish, async () => {
          await finishKept(withCertificate);
        })
      );
      return;
    }
    const keyOnly = entries.find((e) => e.keyPkcs8);
    if (keyOnly && keyOnly.csrSentAt) {
      if (refusal === "STEP3-ONE-WAY") {
        show("STEP3-ONE-WAY", {
          message: "この申請の鍵はこのブラウザに保存されていますが、証明書は届いていません。",
          remedy: "電子証明書の発行申請からやり直してください",
          more: `このブラウザには、この申請の鍵が保存されています (${localTime(keyOnly.created)} 作成)。証明書要求 (CSR) は ${localTime(keyOnly.csrSentAt)} に送信されましたが、証明書はこのブラウザに届きませんでした。サイトは証明書を発行済みのため、このブラウザでインストールを完了することはできません。`,
          detail: `key ${keyOnly.id} kept; CSR sent, no certificate received`,
          back: false,
        });
      } else if (data.step === "1") {
        show("CANCEL-RESUME", {
          kind: "notice",
          message: "この申請の鍵がこのブラウザに保存されています。",
          remedy: "再度、証明書発行サイトにログインを行い、インストールを再開することができます",
          more: `証明書要求 (CSR) は ${localTime(keyOnly.csrSentAt)} に送信されましたが、証明書を受け取る前に中断されました。ログインしてください: 証明書がまだ発行されていなければ、この鍵でインストールを再開します。`,
          detail: `key ${keyOnly.id} kept; CSR sent, no certificate received`,
          back: false,
        });
      }
      return;
    }
    if (keyOnly && data.step === "1") {
      show("CANCEL-RESUME", {
        kind: "notice",
        message: "この申請の鍵がこのブラウザに保存されています。",
        remedy: "再度、証明書発行サイトにログインを行い、インストールを再開することができます",
        more: null,
        detail: `key ${keyOnly.id} kept; no CSR sent`,
        back: false,
      });
      return;
    }
    if (refusal === "STEP3-ONE-WAY") {
      const confirm = await confirmationSite();
      show("REINSTALL-NOT-FOUND", {
        // The guide's 「OK」 goes on to the confirmation site, where the certificate is checked.
        extra: el(
          "p",
          {},
          el("a", { id: "confirm", class: "button", href: confirm, text: "OK" }),
          " ",
          el("span", { text: "証明書確認サイトにアクセスすると、所持する証明書の一覧が表示されます。" })
        ),
        back: false,
      });
    }
  }

  /** An RFC 3339 time of the site (Japan time) as a page writes it: 2026年11月30日 08:13. */
  function jaDate(rfc3339) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(rfc3339 || "");
    return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日 ${m[4]}:${m[5]}` : String(rfc3339);
  }

  function localTime(iso) {
    try {
      return new Date(iso).toLocaleString("ja-JP");
    } catch (_) {
      return iso;
    }
  }

  /** A certificate that arrived before the tab closed: checked against the published root,
   * then installed as at step 3 (without complete: the site answers STEP3-ONE-WAY). */
  async function finishKept(entry) {
    const forgeReady = startForge();
    const root = await verifiedRoot(null, "/repository");
    await forgeReady;
    const rootCertificate = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(toBinary(root.der))));
    const certificate = forge.pki.certificateFromPem(entry.certificate);
    let issuedHere = false;
    try {
      issuedHere = rootCertificate.verify(certificate);
    } catch (_) {
      issuedHere = false;
    }
    if (!issuedHere) {
      throw new Failed("REINSTALL-NOT-FOUND", "the kept certificate was not issued by this site's root");
    }
    const accepted = await askRoot(root);
    if (accepted) entry.rootDer = root.der.buffer.slice(0);
    else delete entry.rootDer;
    await keep(entry);
    install(entry, { complete: null, afterward: "resumed" });
  }

  // ---------------------------------------------------------------------------------------
  // Start.

  function style() {
    document.head.append(
      el(
        "style",
        {},
        `#component dialog, dialog#component-dialog { max-width: 36em; border: 2px solid #0b3d6e; border-radius: 6px; padding: 1em 1.5em; }
dialog#component-dialog::backdrop { background: rgba(0, 0, 0, .45); }
dialog#component-dialog h2 { font-size: 1.1em; margin-top: 0; background: #eef3f8; padding: .3em .5em; }
dialog#component-dialog .dialog-buttons { text-align: right; }
.component-message { margin: 1em 0; padding: 1em; }
.component-message.notice { border: 2px solid #0b3d6e; background: #f3f7fb; }
.component-message.notice .message { font-weight: bold; }
.component-message details, #component-missing details { margin-top: .8em; color: #555; }
.component-progress { color: #0b3d6e; }
.component-inline-error { color: #b00020; font-weight: bold; }
#import-help h3 { font-size: 1em; margin-bottom: .2em; }
#component input[type=password] { font-size: 1em; padding: .2em; }`
      )
    );
  }

  async function start() {
    style();
    const missing = missingFeatures();
    const box = document.getElementById("component-missing");
    if (missing.length) {
      const why = document.getElementById("component-missing-why");
      if (why) {
        why.textContent = `このブラウザには ${missing.join("、")} がありません。`;
        why.hidden = false;
      }
      if (data.step !== "1") {
        show("COMPONENT-UNAVAILABLE", { detail: `missing: ${missing.join(", ")}`, back: !box });
      }
      return;
    }
    if (box) box.hidden = true;
    declaration = `web/${VERSION} (${await platform()})`;
    try {
      if (data.step === "2") stepTwo();
      else if (data.step === "3") {
        stepThree(
          {
            resumed: data.resumed === "true",
            root: { certificate: data.rootCertificate, sha1: data.rootSha1, sha256: data.rootSha256 },
            repository: data.repository,
            key: { algorithm: data.keyAlgorithm, length: parseInt(data.keyLength, 10) },
            subject: JSON.parse(data.subject),
            csr: data.csr,
          },
          true
        );
      } else if (data.step === "1" || data.step === "refused") await resume();
    } catch (error) {
      report(error);
    }
  }

  // Said when the first look is over (the step's view set up, what this browser kept looked at),
  // so that a program driving the page knows when it has settled.
  start().finally(() => {
    section.dataset.ready = "true";
  });
})();
