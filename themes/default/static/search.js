// The archive's search page: the index Pagefind made of the articles (pagefind/), searched
// in the reader's browser. The query and the filters live in the page's address
// (search/?q=巴黎协定&section=国际资讯&year=2017), so a list of results can be shared.
const form = document.getElementById("search");
const { q: input, section, year } = form.elements;
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
const PAGE = 20;
// Of Pagefind's best matches, this many are put in the reader's order (see `ranked`).
const RANKED = 50;

let pagefind = null;
let asked = 0; // the latest search: an earlier one's answer arriving late is dropped
let shown = PAGE;
let waiting = null;

function fromAddress() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  section.value = params.get("section") || "";
  year.value = params.get("year") || "";
}

function toAddress() {
  const params = new URLSearchParams();
  if (input.value.trim()) params.set("q", input.value.trim());
  if (section.value) params.set("section", section.value);
  if (year.value) params.set("year", year.value);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

// Pagefind's excerpt marks the words found with <mark>. Only those marks are kept as
// elements; everything else becomes text, so nothing in an article can act in this page.
function excerpt(html) {
  const parsed = new DOMParser().parseFromString(`<body>${html}`, "text/html").body;
  const paragraph = document.createElement("p");
  paragraph.className = "excerpt";
  for (const node of parsed.childNodes) {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      paragraph.append(mark);
    } else {
      // Pagefind ends a heading with ". " where it joins the text: a Chinese one ends as Chinese does.
      paragraph.append(document.createTextNode(node.textContent.replace(/([\u3400-\u9fff])\. /g, "$1。")));
    }
  }
  return paragraph;
}

// Pagefind finds the words of a Chinese query one by one (巴黎 and 协定 in 巴黎气候协定
// too). A reader who types 巴黎协定 means those four characters together: the articles
// whose title holds them come first, then those whose text holds them most often, then
// the rest in Pagefind's order.
function ranked(results, query) {
  const plain = (text) => (text || "").replace(/[\s\u200b]+/g, "");
  const words = plain(query);
  const times = (text) => (words ? plain(text).split(words).length - 1 : 0);
  return results
    .map((data, order) => ({ data, order, title: times(data.meta.title), text: times(data.content) }))
    .sort((a, b) => (b.title > 0) - (a.title > 0) || b.text - a.text || a.order - b.order)
    .map((entry) => entry.data);
}

function result(data) {
  const item = document.createElement("li");
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.url; // Pagefind gives the address from the site's root, wherever that is served
  link.textContent = data.meta.title || data.url;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "result-meta";
  meta.textContent = [data.meta.issue, data.meta.date && `发布日期 ${data.meta.date}`,
    data.meta.section && `栏目 ${data.meta.section}`].filter(Boolean).join(" · ");
  item.append(heading, meta, excerpt(data.excerpt || ""));
  return item;
}

async function search() {
  const mine = ++asked;
  const query = input.value.trim();
  toAddress();
  const filters = {};
  if (section.value) filters["栏目"] = section.value;
  if (year.value) filters["年份"] = year.value;
  if (!query && !Object.keys(filters).length) {
    status.textContent = "";
    list.replaceChildren();
    more.hidden = true;
    return;
  }
  status.textContent = "正在搜索……";
  // With words, the best match first; with filters alone, the newest first.
  const found = await pagefind.search(query || null, query ? { filters } : { filters, sort: { date: "desc" } });
  if (mine !== asked || !found) return;
  const best = await Promise.all(found.results.slice(0, Math.max(shown, RANKED)).map((r) => r.data()));
  if (mine !== asked) return;
  const results = (query ? ranked(best, query) : best).slice(0, shown);
  const within = [section.value, year.value && `${year.value}年`].filter(Boolean).join("、");
  status.textContent = found.results.length
    ? `${within ? `在${within}中` : ""}找到 ${found.results.length} 篇文章`
    : `${within ? `在${within}中` : ""}没有找到相关文章。可以换个词，或去掉栏目、年份的限制。`;
  list.replaceChildren(...results.map(result));
  more.hidden = found.results.length <= shown;
}

function soon() {
  clearTimeout(waiting);
  shown = PAGE;
  waiting = setTimeout(search, 200);
}

async function start() {
  fromAddress();
  // The index comes in parts (the issues of a year, twenty at most to a part): one is
  // loaded, the others merged into it.
  const [first, ...others] = form.dataset.bundles.split(" ").filter(Boolean)
    .map((path) => new URL(path, location.href).pathname);
  try {
    pagefind = await import(`${first}pagefind.js`);
    await pagefind.options({ excerptLength: 40 });
    // Each merged part takes its own options: the same excerpts as the first's.
    for (const other of others) await pagefind.mergeIndex(other, { excerptLength: 40 });
    await pagefind.init();
  } catch {
    status.textContent = "这个网站没有搜索索引（构建时可能用了 --no-search），暂时无法搜索。";
    return;
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(waiting);
    shown = PAGE;
    search();
  });
  input.addEventListener("input", soon);
  section.addEventListener("change", soon);
  year.addEventListener("change", soon);
  more.querySelector("button").addEventListener("click", () => {
    shown += PAGE;
    search();
  });
  await search();
  if (!input.value) input.focus();
}

start();
