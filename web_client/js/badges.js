// Badge titles in both languages: a copy of BADGE_TEXT in game_server/engine/scoring.py
// (the longer "how it is earned" texts are in the catalogs: badge.<id>.how).
export const BADGE_TEXT = {
  fifteen_years: ['缴满15年', '15 years paid in'],
  monthly_pension: ['按月领养老金', 'A monthly pension'],
  covered_when_hit: ['出事时有保障', 'Covered when the accident hit'],
  hospital_bill_covered: ['医保报销了住院费', 'Insurance paid the hospital'],
  unbroken_cover: ['医保从不断缴', 'Medical cover never broke'],
  never_in_debt: ['从不欠债', 'Never in debt'],
  rainy_day_fund: ['有应急存款', 'A rainy-day fund'],
  full_protection: ['三重保障', 'Fully protected'],
  years_carried: ['缴费年限跟着走', 'Years carried across cities'],
  personal_pension: ['开了个人养老金', 'Opened a personal pension'],
  early_starter: ['早早参保', 'Started early'],
  weathered_storm: ['大病大伤也挺住', 'Weathered a storm'],
};

export function badgeTitle(id, en) {
  const pair = BADGE_TEXT[id];
  if (!pair) return id;
  return en ? pair[1] : pair[0];
}
