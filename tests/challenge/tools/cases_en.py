from common import C, M, V, f2c

# ---------------------------------------------------------------- en01
C("en01_common_cold",
  "Adult common cold: sore throat and runny nose since Sunday, no cough, 99.1 F this morning; tylenol 500 mg as needed, call back only if not better in a week",
  """
doctor: hi there what seems to be the problem
patient: hi i've got a sore throat and my nose won't stop running since sunday no cough though
doctor: have you taken your temperature today
patient: yeah this morning it was ninety nine point one
doctor: okay that's just a common cold you can take tylenol five hundred milligrams when you need it and drink plenty of fluids
patient: do i need antibiotics
doctor: no antibiotics won't help a virus call us back if you're not better in a week
""",
  ["J00", "J06.9", "J06"], V(t=f2c(99.1)), "green", ("none", None),
  [M("paracetamol", dose="500 mg")],
  ["sore throat", "runny nose"], tags=["fahrenheit", "negation", "brand"])

# ---------------------------------------------------------------- en02
C("en02_influenza_fahrenheit",
  "Clinical influenza: sudden onset, body aches, chills, cough, 101.4 F, breathing fine; tamiflu 75 mg twice daily 5 days, ambulance if >103 F or breathless, sick note, phone in 2 days",
  """
doctor: good morning how can i help
patient: i feel awful everything aches i've got chills and a cough and my temperature is a hundred and one point four
doctor: when did it start
patient: yesterday afternoon it came on really suddenly
doctor: any trouble breathing
patient: no breathing is fine
doctor: this looks like flu i'll prescribe tamiflu seventy five milligrams twice a day for five days if the fever goes above a hundred and three or you get short of breath call an ambulance
patient: can you sign me off work
doctor: yes i'll give you a sick note for a week and i'll phone you in two days
""",
  ["J11.1", "J11"], V(t=f2c(101.4)), "yellow", ("telemedicine", 2),
  [M("oseltamivir", False, "75 mg", 2, 5)],
  ["muscle ache", "chills", "cough", "fever"], sick="open",
  tags=["fahrenheit", "conditional", "brand", "fraction", "influenza"])

# ---------------------------------------------------------------- en03
C("en03_hypertension_lisinopril_target",
  "Hypertension on lisinopril 10 mg: last week ~150/95, today 138/86 pulse 70 on video, target under 130/80; renew lisinopril, video call in a month",
  """
doctor: hello mr jones how have your blood pressure readings been
patient: last week they were around one fifty over ninety five but i've been better with the tablets
doctor: can you take a reading now while we're on the video
patient: okay it says one hundred and thirty eight over eighty six pulse seventy
doctor: that's much better we aim to keep it under one thirty over eighty so keep going with the lisinopril ten milligrams once a day i'll renew your prescription
doctor: let's have another video call in a month
""",
  ["I10"], V(hr=70, sys=138, dia=86), "green", ("telemedicine", 30),
  [M("lisinopril", True, "10 mg", 1)],
  [], tags=["target", "nontoday", "renewal"])

# ---------------------------------------------------------------- en04
C("en04_lymphoma_chemo_fever",
  "Lymphoma on chemotherapy, day 10: 101 F, rigors, fatigue, pulse 104 - suspected neutropenic sepsis, go to the emergency department now, no paracetamol before assessment",
  """
patient: hi i'm on chemo for lymphoma and i've got a temperature of a hundred and one
doctor: when was your last treatment
patient: ten days ago and i've been shivery and really tired since this morning
doctor: is that reading from just now and what's your pulse
patient: yes just now and my pulse is one hundred and four
doctor: a fever ten days after chemo could be neutropenic sepsis you need to go to the emergency department right now don't wait and don't take paracetamol before you're seen so it doesn't hide the fever
""",
  ["D70", "D70.1", "R50.9", "A41.9"], V(t=f2c(101.0), hr=104), "red", ("in_person", 0),
  [], ["fever", "chills", "fatigue"], tags=["fahrenheit", "chemo", "safety", "forbidden"])

# ---------------------------------------------------------------- en05
C("en05_child_asthma_flare",
  "7-year-old with asthma via mother: wheeze and cough overnight, sats 94, resp rate 30; ventolin 4 puffs 4x/day 3 days, prednisolone 20 mg daily 3 days, see this afternoon",
  """
patient: hello my son is seven and he's wheezing and coughing since last night he has asthma
doctor: do you have a pulse oximeter at home
patient: yes his sats are ninety four
doctor: and how fast is he breathing can you count for a minute
patient: about thirty breaths a minute
doctor: use ventolin four puffs through the spacer four times a day for three days and i'm prescribing prednisolone twenty milligrams once a day for three days bring him in this afternoon so we can listen to his chest
""",
  ["J45.9", "J45"], V(spo2=94, rr=30), "yellow", ("in_person", 0),
  [M("salbutamol", False, "4 puffs", 4, 3), M("prednisolone", False, "20 mg", 1, 3)],
  ["wheezing", "cough"], tags=["child", "brand", "spo2", "rr"])

# ---------------------------------------------------------------- en06
C("en06_diabetes_glucophage_correction",
  "Type 2 diabetes on glucophage 500 mg twice daily: BP corrected by patient from 140/80 to 138/80; renew 3 months, HbA1c, talk after results",
  """
doctor: hi how are you getting on with the glucophage
patient: fine no stomach trouble this time
doctor: did you check your blood pressure today
patient: yes one forty over eighty sorry i mean one thirty eight over eighty
doctor: good keep taking glucophage five hundred milligrams twice a day i'll renew it for three months please get your h b a one c done and we'll talk after the results come in
patient: okay thanks
""",
  ["E11.9", "E11"], V(sys=138, dia=80), "green", ("telemedicine", None),
  [M("metformin", True, "500 mg", 2, 90)],
  [], tags=["correction", "brand", "after_results", "renewal"])

# ---------------------------------------------------------------- en07
C("en07_low_back_pain_naproxen",
  "Mechanical low back pain after gardening, no leg symptoms; stop ibuprofen, naproxen 500 mg twice daily 7 days, physio in two weeks",
  """
doctor: hello what's brought you in today
patient: i hurt my lower back digging the guard in on saturday it's really sore when i bend
doctor: any numbness or pain going down your legs
patient: no numbness nothing in the legs just the back
doctor: what have you been taking
patient: ibuprofen but it's not doing much
doctor: stop the ibuprofen and take naproxen five hundred milligrams twice a day with food for seven days keep moving gently and i'll book you to see the physio in two weeks
""",
  ["M54.5", "M54"], {}, "green", ("in_person", 14),
  [M("naproxen", False, "500 mg", 2, 7)],
  ["back pain"], tags=["misrec", "forbidden", "negation"])

# ---------------------------------------------------------------- en08
C("en08_covid_confirmed_mild",
  "COVID-19 confirmed by lateral flow: loss of taste, cough, tiredness, 100.2 F, sats 97; paracetamol 1 g four times a day if needed, ambulance if sats <94, call in 3 days",
  """
doctor: hello i see you tested positive for covid
patient: yes the lateral flow was positive yesterday i've lost my sense of taste and i'm coughing and so tired
doctor: what's your temperature today
patient: one hundred point two
doctor: and your oxygen if you have a pulse ox
patient: ninety seven
doctor: ninety seven is fine that's mild covid rest and take paracetamol one gram four times a day if you need it if your sats drop below ninety four call an ambulance we'll call you in three days
""",
  ["U07.1"], V(t=f2c(100.2), spo2=97), "green", ("telemedicine", 3),
  [M("paracetamol", False, "1 g", 4)],
  ["loss of taste", "cough", "fatigue", "fever"], tags=["fahrenheit", "covid", "conditional", "spo2"])

# ---------------------------------------------------------------- en09
C("en09_pneumonia_ambulance",
  "Community-acquired pneumonia: breathless, pleuritic chest pain, cough, 102.2 F, pulse ox 91, resp rate 28 - ambulance",
  """
patient: doctor i can't catch my breath and my chess hurts when i breathe in
doctor: how long have you been unwell
patient: four days with a cough and fever today it's a hundred and two point two
doctor: what does your pulse ox say
patient: ninety one
doctor: count your breaths for a minute for me
patient: twenty eight
doctor: with sats of ninety one and a resp rate of twenty eight this could be pneumonia i'm calling an ambulance for you now
""",
  ["J18.9", "J18"], V(t=f2c(102.2), spo2=91, rr=28), "red", ("ambulance", 0),
  [], ["shortness of breath", "chest pain", "cough", "fever"],
  tags=["misrec", "fahrenheit", "safety", "everyday_words", "spo2", "rr"])

# ---------------------------------------------------------------- en10
C("en10_cystitis_nitrofurantoin",
  "Uncomplicated cystitis: dysuria and lower abdominal ache, no fever or back pain; nitrofurantoin 100 mg twice daily 5 days, urine culture, phone in 3 days",
  """
doctor: hi what can i do for you
patient: it burns when i pee and i've got this ache low down in my tummy
doctor: any fever or pain in your back
patient: no fever and my back's fine
doctor: sounds like a bladder infection i'll prescribe nitrofurantoin one hundred milligrams twice a day for five days please drop off a urine sample and we'll phone you in three days with the culture result
""",
  ["N30.0", "N30", "N39.0"], {}, "green", ("telemedicine", 3),
  [M("nitrofurantoin", False, "100 mg", 2, 5)],
  ["pain", "abdominal pain"], tags=["negation", "everyday_words", "uti"])

# ---------------------------------------------------------------- en11
C("en11_bacterial_sinusitis",
  "Acute bacterial sinusitis: 12 days of congestion with green discharge, cheek pain, 99.5 F; amoxicillin 500 mg three times daily 7 days, flonase 2 sprays daily, video call in a week",
  """
doctor: hello what's the trouble
patient: my nose is all stuff up and there's green stuff coming out for twelve days now and my face hurts around my cheeks
doctor: any temperature
patient: ninety nine and a half this morning
doctor: with symptoms this long it's likely bacterial sinusitis amoxicillin five hundred milligrams three times a day for seven days and flonase two sprays each side once a day
patient: okay
doctor: we'll do a video call in a week to see how you're doing
""",
  ["J01.9", "J01"], V(t=f2c(99.5)), "green", ("telemedicine", 7),
  [M("amoxicillin", False, "500 mg", 3, 7), M("fluticasone", False, "2 sprays", 1)],
  ["nasal congestion", "runny nose", "pain", "fever"],
  tags=["misrec", "fahrenheit", "fraction", "brand", "sinusitis", "everyday_words"])

# ---------------------------------------------------------------- en12
C("en12_anastrozole_renewal",
  "Breast cancer on arimidex (anastrozole 1 mg): hot flushes and stiff achy knees; renew 3 months, clinic in 3 months",
  """
doctor: hello mrs patel you're due for your arimidex renewal
patient: yes i take one milligram every morning i'm getting hot flushes and my knees are stiff and achy
doctor: that's common with anastrozole are you managing
patient: yes it's bearable
doctor: i'll renew anastrozole one milligram once a day for three months and see you in clinic in three months
""",
  ["C50.9", "C50", "Z85.3"], {}, "green", ("in_person", 90),
  [M("anastrozole", True, "1 mg", 1, 90)],
  ["hot flashes", "joint pain"], tags=["oncology", "renewal", "brand"])

# ---------------------------------------------------------------- en13
C("en13_capecitabine_toxicity",
  "Bowel cancer on capecitabine: diarrhoea 5-6 times a day and mouth ulcers, temp 98.6 F; capecitabine stopped, loperamide 2 mg after each loose stool, bloods and review tomorrow",
  """
doctor: hi how's the capecitabine going
patient: not great i've had diarrhoea five or six times a day since yesterday and my mouth is full of ulcers
doctor: any fever
patient: no i checked it's ninety eight point six
doctor: stop the capecitabine for now take loperamide two milligrams after each loose stool and drink plenty come in tomorrow for blood tests and a review
patient: okay
""",
  ["C18.9", "C18", "K52.1"], V(t=f2c(98.6)), "yellow", ("in_person", 1),
  [M("loperamide", dose="2 mg")],
  ["diarrhoea", "mouth sores"], tags=["oncology", "chemo", "forbidden", "fahrenheit"])

# ---------------------------------------------------------------- en14
C("en14_child_otitis_media",
  "4-year-old girl via father: acute otitis media, ear pulling, crying, 101.8 F, no discharge; watchful waiting, calpol 5 ml four times a day, call back in 2 days",
  """
patient: hi it's her dad my daughter's four she's been pulling at her year and crying all night
doctor: has she got a temperature
patient: yes a hundred and one point eight
doctor: any discharge from the ear
patient: no nothing coming out
doctor: it sounds like a middle ear infection most settle on their own so no antibiotics for now give her calpol five millilitres four times a day and i'll call you back in two days
""",
  ["H66.9", "H66"], V(t=f2c(101.8)), "yellow", ("telemedicine", 2),
  [M("paracetamol", False, "5 ml", 4)],
  ["ear pain", "fever"], tags=["child", "misrec", "fahrenheit", "brand"])

# ---------------------------------------------------------------- en15
C("en15_copd_stable_renewal_swap",
  "Stable COPD: usual exertional breathlessness, o2 sat 96; renew spiriva 2 puffs daily and ventolin as needed, review in clinic in 6 months. Recogniser put a doctor line on the patient",
  """
doctor: hello mr brown how's your breathing
patient: about the same a bit breathless on the stairs same as always
doctor: what's your o two sat today
patient: ninety six
patient: keep using the spiriva two puffs once a day i'll renew it for three months
patient: and the blue inhaler
doctor: yes i'll renew the ventolin as well two puffs when you're short of breath see you for your review in clinic in six months
""",
  ["J44.9", "J44"], V(spo2=96), "green", ("in_person", 180),
  [M("tiotropium", True, "2 puffs", 1, 90), M("salbutamol", True, "2 puffs")],
  ["shortness of breath"], tags=["swap", "renewal", "brand", "spo2"])

# ---------------------------------------------------------------- en16
C("en16_statin_renewal",
  "Hypercholesterolaemia on lipitor 40 mg, results improved, no myalgia; renew, clinic bloods in 3 months",
  """
doctor: hi your cholesterol results are back and they're much better
patient: that's good i've been taking the lipitor every night
doctor: any muscle aches
patient: no none at all
doctor: great carry on with lipitor forty milligrams once a day at night i'll renew it and we'll recheck your bloods in clinic in three months
""",
  ["E78.0", "E78.5", "E78"], {}, "green", ("in_person", 90),
  [M("atorvastatin", True, "40 mg", 1)],
  [], tags=["brand", "renewal", "negation"])

# ---------------------------------------------------------------- en17
C("en17_gastroenteritis_sick_note",
  "Acute gastroenteritis: vomiting, diarrhoea, cramps, 100.4 F, no blood; fluids, paracetamol 1 g four times a day, no loperamide with fever, sick note, phone tomorrow",
  """
patient: hi i've had vomiting and diarrhoea since last night and really bad cramps
doctor: any blood in the stool and what's your temperature
patient: no blood temperature's a hundred point four
doctor: can you keep fluids down
patient: small sips yes
doctor: it's gastroenteritis keep sipping fluids you can take paracetamol one gram four times a day for the fever don't take loperamide while you have a fever i'll give you a sick note for five days and ring you tomorrow morning
""",
  ["A09", "A09.0", "A09.9"], V(t=f2c(100.4)), "yellow", ("telemedicine", 1),
  [M("paracetamol", False, "1 g", 4)],
  ["vomiting", "diarrhoea", "abdominal pain", "fever"], sick="open",
  tags=["fahrenheit", "forbidden", "everyday_words"])

# ---------------------------------------------------------------- en18
C("en18_stroke_wife_calls",
  "Wife calls: husband's face drooping, slurred speech, left arm weak and numb for 10 minutes, home BP 200/110 - stroke, ambulance, no aspirin",
  """
patient: please help my husband's face has dropped on one side and his speech is slurred it started about ten minutes ago
doctor: can he lift both arms
patient: his left arm is weak and he says it feels numb
doctor: do you have a blood pressure machine
patient: yes it says two hundred over one hundred and ten
doctor: this looks like a stroke i'm calling an ambulance right now don't give him any aspirin or anything to eat or drink and note the time it started
""",
  ["I64", "I63.9", "I63"], V(sys=200, dia=110), "red", ("ambulance", 0),
  [], ["numbness"], tags=["safety", "forbidden", "relative"])

# ---------------------------------------------------------------- en19
C("en19_amlodipine_ankle_swelling",
  "Hypertension: ankle swelling on amlodipine, BP today 132/84 (last visit 152/90); stop amlodipine, start losartan 50 mg daily, phone call in 2 weeks",
  """
doctor: hello how are things
patient: my ankles have been really swollen since i started the amlodipine
doctor: at your last visit it was one fifty two over ninety what's your blood pressure blood pressure today
patient: one hundred and thirty two over eighty four
doctor: the swelling is a side effect let's stop the amlodipine and start losartan fifty milligrams once a day instead we'll have a phone call in two weeks
""",
  ["I10"], V(sys=132, dia=84), "green", ("telemedicine", 14),
  [M("losartan", False, "50 mg", 1)],
  ["swelling"], tags=["stutter", "forbidden", "last_visit", "nontoday"])

# ---------------------------------------------------------------- en20
C("en20_depression_sertraline_renewal",
  "Depression improving on sertraline 100 mg, afternoon tiredness, no self-harm thoughts; continue and renew for a month, video call in a month",
  """
doctor: hi how have you been feeling on the sertraline
patient: my mood's a lot better still a bit tired in the afternoons
doctor: any thoughts of harming yourself
patient: no nothing like that
doctor: good we'll continue sertraline one hundred milligrams once a day i'll renew it for a month and have another video call in a month
""",
  ["F32.9", "F32", "F32.1"], {}, "green", ("telemedicine", 30),
  [M("sertraline", True, "100 mg", 1, 30)],
  ["fatigue"], tags=["renewal"])

# ---------------------------------------------------------------- en21
C("en21_viral_pharyngitis",
  "Viral pharyngitis: sore throat 2 days, no cough, 99.4 F last night and 99.1 F today, no tonsillar exudate; advil 400 mg three times daily 5 days, no antibiotics, no planned follow-up",
  """
patient: hi i've had a really saw throat for two days no cough just the throat
doctor: any temperature
patient: ninety nine point four last night and today it's ninety nine point one
doctor: looking at your throat on camera there's no pus on the tonsils so it's likely viral you can take advil four hundred milligrams three times a day for five days with food
patient: and antibiotics
doctor: not needed for this get back to us if it's not better in a week
""",
  ["J02.9", "J02"], V(t=f2c(99.1)), "green", ("none", None),
  [M("ibuprofen", False, "400 mg", 3, 5)],
  ["sore throat"], tags=["misrec", "fahrenheit", "nontoday", "negation", "brand"])

# ---------------------------------------------------------------- en22
C("en22_bronchitis_smoker_azithromycin",
  "Smoker with 3-week productive cough, no fever or breathlessness, sats 96; acute bronchitis, doxycycline 100 mg twice daily 5 days, chest x-ray tomorrow",
  """
doctor: hello what's the problem
patient: i've had this cough for three weeks bringing up yellow flame i smoke about ten a day
doctor: any fever or breathlessness
patient: no fever breathing's okay
doctor: what are your sats on the pulse ox
patient: ninety six
doctor: it's likely acute bronchitis i'll give you doxycycline one hundred milligrams twice a day for five days and i'd like a chest x ray come in tomorrow for it
""",
  ["J20.9", "J20"], V(spo2=96), "green", ("in_person", 1),
  [M("doxycycline", False, "100 mg", 2, 5)],
  ["cough", "sputum"], tags=["misrec", "negation", "spo2", "antibiotic"])

# ---------------------------------------------------------------- en23
C("en23_covid_suspected_borderline_sats",
  "Suspected COVID-19, untested: loss of smell and taste, dry cough, exhaustion, 99.9 F, pulse ox 95; PCR today, phone tomorrow, ambulance if sats <94",
  """
patient: hi i can't smell or taste anything since yesterday and i've got a dry cough and i'm wiped out
doctor: have you done a covid test
patient: not yet i haven't got one
doctor: what's your temperature and your sats
patient: ninety nine point nine and the pulse ox shows ninety five
doctor: it sounds like covid so we'll treat it as suspected until you test please get a p c r test today your oxygen at ninety five is a little low so i'll phone you tomorrow and if it goes below ninety four call an ambulance
""",
  ["U07.2"], V(t=f2c(99.9), spo2=95), "yellow", ("telemedicine", 1),
  [], ["loss of smell", "loss of taste", "cough", "fatigue", "fever"],
  tags=["fahrenheit", "covid", "conditional", "everyday_words", "spo2"])

# ---------------------------------------------------------------- en24
C("en24_child_chickenpox",
  "3-year-old via parent: chickenpox, itchy spots on trunk, 100.8 F; calpol for temperature, cetirizine 2.5 mg daily, no ibuprofen; no planned follow-up",
  """
patient: hello my son's three he's got spots all over his tummy and back they're really itchy and he's hot
doctor: have you measured his temperature
patient: yes a hundred point eight
doctor: that sounds like chicken pops give him calpol for the temperature and cetirizine two point five milligrams once a day for the itch please don't give him ibuprofen with chickenpox
patient: should we come in
doctor: no need keep him home call us if the spots look infected or he's struggling to breathe
""",
  ["B01.9", "B01"], V(t=f2c(100.8)), "yellow", ("none", None),
  [M("paracetamol"), M("cetirizine", False, "2.5 mg", 1)],
  ["rash", "fever"], tags=["child", "misrec", "fahrenheit", "forbidden", "brand"])

# ---------------------------------------------------------------- en25
C("en25_hypertension_renewal_swap",
  "Hypertension renewal: patient reads out ramipril 5 mg daily and indapamide 1.5 mg in the morning, BP 128/78 pulse 68 this morning; renew both 3 months, phone in 3 months. Recogniser put a doctor line on the patient",
  """
doctor: hello i see you need your blood pressure tablets renewed what are you taking
patient: ramipril five milligrams once a day and indapamide one point five milligrams once in the morning
doctor: and your readings
patient: one hundred and twenty eight over seventy eight pulse sixty eight this morning
patient: that's good carry on with both i'll renew them for three months
patient: thank you
doctor: we'll check in by phone in three months
""",
  ["I10"], V(hr=68, sys=128, dia=78), "green", ("telemedicine", 90),
  [M("ramipril", True, "5 mg", 1, 90), M("indapamide", True, "1.5 mg", 1, 90)],
  [], tags=["swap", "med_patient_line", "renewal", "fraction_dose"])

# ---------------------------------------------------------------- en26
C("en26_af_apixaban_renewal",
  "Atrial fibrillation on eliquis 5 mg twice daily and metoprolol 25 mg twice daily, asymptomatic, pulse 78; renew both, avoid ibuprofen and aspirin, clinic in 6 months",
  """
doctor: hi let's go through your medicines
patient: i take eliquis five milligrams twice a day and metoprolol twenty five milligrams twice a day
doctor: any palpitations dizziness or bleeding
patient: no palpitations no bleeding i feel fine
doctor: what's your pulse today
patient: seventy eight on my watch
doctor: good continue eliquis five milligrams twice a day and metoprolol twenty five milligrams twice a day i'll renew both avoid ibuprofen and aspirin and we'll see you in clinic in six months
""",
  ["I48", "I48.9"], V(hr=78), "green", ("in_person", 180),
  [M("apixaban", True, "5 mg", 2), M("metoprolol", True, "25 mg", 2)],
  [], tags=["brand", "forbidden", "negation", "renewal", "med_patient_line"])

# ---------------------------------------------------------------- en27
C("en27_levothyroxine_renewal",
  "Hypothyroidism on levothyroxine 100 mcg, well; renew, thyroid blood test this week, talk after results",
  """
doctor: hello you're due for your levothyroxine
patient: yes one hundred micrograms every morning i feel fine
doctor: i'll renew levothyroxine one hundred micrograms once a day but your last thyroid test was a year ago so please have a blood test this week and we'll talk once we have the results
patient: okay will do
""",
  ["E03.9", "E03"], {}, "green", ("telemedicine", None),
  [M("levothyroxine", True, "100 mcg", 1)],
  [], tags=["renewal", "after_results"])

# ---------------------------------------------------------------- en28
C("en28_pyelonephritis_sepsis",
  "Acute pyelonephritis with sepsis signs: 102 F, rigors, vomiting x3, right flank pain, dysuria, pulse 118, BP 96/60 - ambulance",
  """
patient: i've got a high fever a hundred and two shaking shaking all over and i've been sick three times
doctor: any pain in your back or when you pass urine
patient: yes my right side at the back really hurts and it stings when i wee
doctor: what's your pulse and blood pressure
patient: pulse is one hundred and eighteen and blood pressure ninety six over sixty
doctor: with a fever like that a fast pulse and low blood pressure this could be a kidney infection with sepsis i'm sending an ambulance now
""",
  ["N10", "A41.9", "A41"], V(t=f2c(102.0), hr=118, sys=96, dia=60), "red", ("ambulance", 0),
  [], ["fever", "chills", "vomiting", "back pain", "pain"],
  tags=["stutter", "fahrenheit", "safety", "everyday_words", "uti"])

# ---------------------------------------------------------------- en29
C("en29_asthma_step_up_montelukast",
  "Poorly controlled asthma: night cough, morning wheeze, sats 97; continue budesonide 2 puffs twice daily (renewed), add montelukast 10 mg at night, video call in 2 weeks",
  """
doctor: hello how is your asthma
patient: i'm coughing at night and a bit weezy most mornings
doctor: are you using the budesonide inhaler
patient: yes two puffs twice a day
doctor: what are your sats
patient: ninety seven
doctor: keep the budesonide two puffs twice a day i'll renew it and add montelukast ten milligrams once a day at night we'll do a video call in two weeks
""",
  ["J45.9", "J45"], V(spo2=97), "green", ("telemedicine", 14),
  [M("budesonide", True, "2 puffs", 2), M("montelukast", False, "10 mg", 1)],
  ["cough", "wheezing"], tags=["misrec", "renewal", "spo2"])

# ---------------------------------------------------------------- en30
C("en30_aphthous_ulcers",
  "Recurrent aphthous mouth ulcers, no systemic features; chlorhexidine mouthwash 10 ml twice daily 7 days, see only if not healed in 3 weeks",
  """
doctor: hi what's bothering you
patient: i keep getting these painful ulcers in my mouth i've got three right now and it hurts to eat
doctor: any fever weight loss or ulcers anywhere else
patient: no nothing else
doctor: these look like aphthous ulcers use chlorhexidine mouthwash ten millilitres twice a day for seven days and if they don't heal in three weeks we should see you
""",
  ["K12.0", "K12"], {}, "green", ("none", None),
  [M("chlorhexidine", False, "10 ml", 2, 7)],
  ["mouth sores"], tags=["negation"])

# ---------------------------------------------------------------- en31
C("en31_covid_hypoxia_correction",
  "COVID-19 (positive test 5 days ago) worsening: breathless walking to bathroom, 101.1 F, sats corrected from 96 (yesterday) to 92 today, resp rate 26 - ambulance",
  """
doctor: hi you tested positive for covid five days ago how are you today
patient: worse i get breath less just walking to the bathroom and the fever's still there a hundred and one point one
doctor: what does the pulse oximeter say
patient: it was ninety six sorry i mean ninety two the ninety six was yesterday
doctor: and how many breaths a minute
patient: my wife counted twenty six
doctor: sats of ninety two and a breathing rate of twenty six are dangerous i'm calling an ambulance now
""",
  ["U07.1"], V(t=f2c(101.1), spo2=92, rr=26), "red", ("ambulance", 0),
  [], ["shortness of breath", "fever"],
  tags=["misrec", "correction", "fahrenheit", "covid", "safety", "spo2", "rr"])

# ---------------------------------------------------------------- en32
C("en32_infant_bronchiolitis",
  "8-month-old via mother: bronchiolitis, runny nose, cough, wheeze, poor feeding, 37.9 C, sats 93, 50 breaths/min - children's emergency department now",
  """
patient: hi my baby's eight months old she's she's got a runny nose and cough and now she's wheezing and not feeding well
doctor: do you have a temperature reading
patient: thirty seven point nine
doctor: have you got a pulse oximeter
patient: yes it says ninety three
doctor: and her breathing rate
patient: i counted fifty breaths a minute
doctor: with oxygen at ninety three she needs to be seen now please take her to the children's emergency department straight away
""",
  ["J21.9", "J21"], V(t=37.9, spo2=93, rr=50), "red", ("in_person", 0),
  [], ["runny nose", "cough", "wheezing", "loss of appetite", "fever"],
  tags=["child", "stutter", "safety", "spo2", "rr"])

# ---------------------------------------------------------------- en33
C("en33_sciatica_extend_sick_note",
  "Lumbar back pain now with sciatica: pain down left leg, intermittent foot numbness, no red flags; continue naproxen 500 mg twice daily another 7 days, extend sick note a week, clinic in a week",
  """
doctor: hello how's your back this week
patient: still bad the pain goes down my left leg now and my foot feels a bit numb at times
doctor: any problems with your bladder or bowels
patient: no nothing like that
doctor: this is sciatica continue the naproxen five hundred milligrams twice a day for another seven days i'll extend your sick note for a week and i'd like to see you in clinic in a week
""",
  ["M54.4", "M54.3", "M54"], {}, "green", ("in_person", 7),
  [M("naproxen", True, "500 mg", 2, 7)],
  ["back pain", "pain", "numbness"], sick="extend", tags=["renewal", "sick_extend", "negation"])

# ---------------------------------------------------------------- en34
C("en34_flu_recovered_close_sick_note",
  "Recovered from influenza: fever gone, slight residual cough, 98.4 F today; sick note closed, back to work, no follow-up",
  """
doctor: hi how are you feeling now
patient: much better the fever's gone just a tiny cough left
doctor: what was your temperature today
patient: ninety eight point four
doctor: good you're over the flu i'll close your sick note so you can go back to work
patient: great thank you
""",
  ["J11.1", "J11"], V(t=f2c(98.4)), "green", ("none", None),
  [], ["cough"], sick="close", tags=["fahrenheit", "negation", "sick_close"])
