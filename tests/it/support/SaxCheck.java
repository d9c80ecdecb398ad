// The strict-parser oracle for backup-fix's tests: parses each file named on
// the command line with the JDK's SAX parser (the parser family Atlassian
// Cloud's importer uses) and prints one line per file:
//   OK <path>
//   ERROR <line>:<column> <path> <message>
// External DTDs and entities are never loaded.
import java.io.File;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;

public class SaxCheck {
    public static void main(String[] args) throws Exception {
        SAXParserFactory factory = SAXParserFactory.newInstance();
        factory.setNamespaceAware(false);
        factory.setValidating(false);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
        factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        for (String path : args) {
            SAXParser parser = factory.newSAXParser();
            try {
                parser.parse(new File(path), new DefaultHandler());
                System.out.println("OK " + path);
            } catch (SAXParseException e) {
                System.out.println("ERROR " + e.getLineNumber() + ":" + e.getColumnNumber() + " " + path + " "
                        + e.getMessage().replace('\n', ' '));
            } catch (Exception e) {
                System.out.println("ERROR 0:0 " + path + " " + e);
            }
        }
    }
}
