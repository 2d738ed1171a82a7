# Deterministic benchmark files in the current folder: deals.csv, and wide.csv, a
# 30-column companies file with every property type. Usage: python3 gen.py [ROWS]
import random, sys
random.seed(7)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
stages = ["Appointment Scheduled", "qualifiedtobuy", "Presentation Scheduled", "Contract Sent", "Closed Won", "closedlost"]
words = ["Acme", "Globex", "Umbrella", "Initech", "Hooli", "Vandelay", "Stark", "Wayne", "Müller", "Ærø"]
with open("deals.csv", "w") as f:
    f.write("Deal Name,Amount,Deal Stage,Pipeline,Close Date,Deal Type,Deal Description,Priority\n")
    for i in range(N):
        w = random.choice(words)
        f.write(f"{w} renewal {i},{random.randint(100, 999999)}.{random.randint(0,99):02d},{random.choice(stages)},"
                f"Sales Pipeline,2025-{random.randint(1,12):02d}-{random.randint(1,28):02d}T10:00:00Z,"
                f"{random.choice(['newbusiness','existingbusiness'])},\"Deal with {w}, follow up\",{random.choice(['low','medium','high'])}\n")
cols = ["Company Domain Name", "Name", "Industry", "Number of Employees", "Annual Revenue", "Phone Number",
        "Street Address", "City", "State/Region", "Postal Code", "Country/Region", "Website URL", "Description",
        "Year Founded", "Lifecycle Stage", "Is Public", "Create Date", "Last Modified Date", "Company Type",
        "Lead Status", "Last Activity Date", "Number of times contacted", "Number of Sales Activities",
        "Total Revenue", "Recent Deal Amount", "Close Date", "Target Account", "LinkedIn Company Page",
        "Ideal Customer Profile Tier", "Number of open deals"]
assert len(cols) == 30
with open("wide.csv", "w") as f:
    f.write(",".join(f'"{c}"' if "," in c else c for c in cols) + "\n")
    for i in range(N):
        w = random.choice(words)
        dom = f"{w.lower()}{i}.example"
        row = [dom, f"{w} {i} B.V.", random.choice(["Software", "Retail", "Logistics"]), str(random.randint(1, 5000)),
               f"{random.randint(1000, 9999999)}.{random.randint(0,99):02d}", f"+31 20 {random.randint(1000000, 9999999)}",
               f"Kerkstraat {random.randint(1,300)}", random.choice(["Utrecht", "Aarhus", "München"]), "NH",
               f"{random.randint(1000,9999)} AB", random.choice(["Netherlands", "Denmark", "Germany"]), f"https://www.{dom}/",
               f"\"{w}, makers of things\"", str(random.randint(1900, 2024)), random.choice(["Lead", "customer", "Opportunity"]),
               random.choice(["true", "false", "yes", "no"]), f"2024-{random.randint(1,12):02d}-{random.randint(1,28):02d}T08:30:00Z",
               f"2025-{random.randint(1,12):02d}-{random.randint(1,28):02d} 09:15", random.choice(["PROSPECT", "Partner", "VENDOR"]),
               random.choice(["NEW", "Open", "IN_PROGRESS"]), f"2025-0{random.randint(1,9)}-1{random.randint(0,9)}T12:00:00Z",
               str(random.randint(0, 50)), str(random.randint(0, 200)), f"{random.randint(0, 999999)}.5",
               str(random.randint(0, 99999)), f"2025-{random.randint(1,12):02d}-{random.randint(1,28):02d}T00:00:00Z",
               random.choice(["true", "false"]), f"https://linkedin.com/company/{w.lower()}{i}",
               random.choice(["tier_1", "tier_2", "tier_3"]), str(random.randint(0, 9))]
        f.write(",".join(row) + "\n")
