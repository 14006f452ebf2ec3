// Formatting and language helpers for the chat page. Deliberately independent of the browser's
// locale data (toLocaleString differs between browsers and machines).

/** Rupiah as shops write it: `Rp 19.999.000` — dots between thousands, no decimals. */
export function formatRupiah(value) {
  const amount = Number(value);
  if (!Number.isFinite(amount)) return '';
  const rounded = Math.round(Math.abs(amount));
  // BigInt keeps every digit where String() would switch to exponent notation (>= 1e21).
  const digits = BigInt(rounded).toString();
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${amount < 0 && rounded !== 0 ? '-' : ''}Rp ${grouped}`;
}

/** A 0..1 score as a whole percentage, e.g. 0.853 → `85%`. */
export function formatPercent(score) {
  if (score === null || score === undefined || score === '') return '';
  const value = Number(score);
  if (!Number.isFinite(value)) return '';
  return `${Math.round(Math.min(1, Math.max(0, value)) * 100)}%`;
}

/** `screen_size` → `Screen size`. */
export function humanizeKey(key) {
  const words = String(key).replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** 'id', 'id-ID', 'ID' → 'id'; anything else → 'en'. */
export function normalizeLanguage(language) {
  return String(language ?? '').toLowerCase().startsWith('id') ? 'id' : 'en';
}

const INDONESIAN_WORDS = new Set(('yang dan untuk dengan ini itu saya anda kami kamu tidak ada bisa ' +
  'harga tersedia apa juga atau dari di ke pada akan sangat lebih mau ingin cari butuh punya rumah ' +
  'terima kasih silakan bagus murah mahal stok produk kulkas mesin cuci kak halo selamat membantu ' +
  'rekomendasi pilihan hemat energi garansi ukuran sudah belum adalah karena jika kalau bagi')
  .split(' '));
const ENGLISH_WORDS = new Set(('the and for with this that you your we our not is are can price ' +
  'available what also or from to on will very more want need have home thanks please good cheap ' +
  'stock product help recommend options energy warranty size it of a an i').split(' '));

/**
 * Guesses whether a reply is Indonesian or English by counting common words; returns
 * `fallback` when the text gives no clear answer.
 */
export function detectLanguage(text, fallback = 'en') {
  let indonesian = 0;
  let english = 0;
  for (const word of String(text ?? '').toLowerCase().match(/[a-z]+/g) ?? []) {
    if (INDONESIAN_WORDS.has(word)) indonesian += 1;
    if (ENGLISH_WORDS.has(word)) english += 1;
  }
  if (indonesian === english) return fallback;
  return indonesian > english ? 'id' : 'en';
}

/** The BCP 47 tag to speak or listen in. */
export function speechLanguageTag(language) {
  return normalizeLanguage(language) === 'id' ? 'id-ID' : 'en-US';
}
