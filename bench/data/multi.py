# Deterministic multi-object benchmark file (issue 9): multi.csv, ROWS rows of
# contacts + companies + deals in one file, about ROWS/10 companies (each shared by
# about ten contacts) and a deal on 60% of the rows; contacts.csv holds the same
# rows' contact columns alone, for the single-object import of the same rows.
# Names, emails and domains carry non-ASCII letters. Usage: python3 multi.py [ROWS [OUT_DIR]]
# (OUT_DIR: where to write the two files, default the current directory; the runner of
# bench/compare passes one). Always seed 9: the same ROWS give the same files.
import os, random, sys
random.seed(9)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
OUT = sys.argv[2] if len(sys.argv) > 2 else "."
first = ["Zoë", "José", "Søren", "Ana", "Li", "Marie", "Jürgen", "Ærwin", "Åsa", "Noé"]
last = ["Müller", "García", "Jensen", "de Vries", "Ødegård", "Dupont", "Smith", "Łukasz"]
hosts = ["exämple.de", "ærø.dk", "acme.com", "beta.io", "société.fr"]
companies = max(1, N // 10)
with open(os.path.join(OUT, "multi.csv"), "w", encoding="utf-8") as m, \
        open(os.path.join(OUT, "contacts.csv"), "w", encoding="utf-8") as c:
    m.write("Email,First Name,Last Name,Phone Number,Company Name,Company Domain Name,City,Deal Name,Amount,Deal Stage\n")
    c.write("Email,First Name,Last Name,Phone Number\n")
    for i in range(N):
        f, l = random.choice(first), random.choice(last)
        email = f"{f.lower()}.{i}@{random.choice(hosts)}"
        phone = f"+45 {random.randint(10000000, 99999999)}"
        k = random.randrange(companies)
        company = f"Firma {k} ApS"
        domain = f"firma{k}.{['dk', 'de', 'nl'][k % 3]}" if k % 7 else f"fírma{k}.dk"
        city = random.choice(["Aarhus", "München", "Utrecht", "Malmö"])
        deal = f"{company} renewal {i}" if random.random() < 0.6 else ""
        amount = f"{random.randint(100, 99999)}.{random.randint(0, 99):02d}" if deal else ""
        stage = random.choice(["Appointment Scheduled", "Contract Sent", "Closed Won"]) if deal else ""
        m.write(f"{email},{f},{l},{phone},{company},{domain},{city},{deal},{amount},{stage}\n")
        c.write(f"{email},{f},{l},{phone}\n")
