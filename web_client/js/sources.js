// A source in Chinese: the scenario files cite their sources in English around the Chinese
// titles and document numbers (国发〔2014〕8号, 《…》). On a Chinese screen the source is named by
// its Chinese titles alone; "estimate:" and "derived:" say so in Chinese. Pure: no DOM.

const NAMES = [
  [/People's Daily/g, '人民日报'], [/Xinhua/g, '新华社'], [/Zhongshan case/g, '中山案例'],
  [/(?:the )?\d{4} Third Plenum(?: decision)?/g, '三中全会决定'], [/Third Plenum/g, '三中全会'],
  [/12333\.gov\.cn/g, '12333 网站'], [/Guangdong/g, '广东'], [/Beijing/g, '北京'],
  [/Shenzhen/g, '深圳'], [/Hebei/g, '河北'], [/Sichuan/g, '四川'], [/Shanghai/g, '上海'], [/Zhejiang/g, '浙江'], [/Hangzhou/g, '杭州'], [/Chengdu/g, '成都'], [/Dongguan/g, '东莞'],
];

// A citation: a run that starts with a Chinese character (or 《), the digits, brackets and
// marks that belong to titles and document numbers, and "第N条" (from "art. N").
const CITE = /[《\u4e00-\u9fff][\u4e00-\u9fff《》〔〕0-9、·—–\- ]*/g;
const HAN = /[\u4e00-\u9fff]/g;

/** The Chinese form of a source string. */
export function zhSource(src) {
  let s = String(src || '').trim();
  let kind = '';
  const m = /^(estimate|derived)\s*:\s*/i.exec(s);
  if (m) {
    s = s.slice(m[0].length);
    kind = m[1].toLowerCase() === 'derived' ? '推算' : /^game design/i.test(s) ? '游戏设定（估计）' : '估计';
  }
  for (const [re, zh] of NAMES) s = s.replace(re, zh);
  s = s.replace(/\bart\.\s*(\d+)/g, '第$1条');
  const cites = [];
  for (const part of s.split(/[;；]/)) {
    for (const run of part.match(CITE) || []) {
      const c = run.replace(/[\s—–\-、·]+$/, '').trim();
      if ((c.match(HAN) || []).length >= 2 && cites.indexOf(c) < 0) cites.push(c);
    }
  }
  if (!cites.length) return kind || '公开资料';
  return (kind ? kind + '；依据：' : '') + cites.join('；');
}

/** The source as the language on show names it: as written in English, by its Chinese titles in
 * Chinese. */
export function sourceIn(src, en) {
  return en ? String(src || '') : zhSource(src);
}
